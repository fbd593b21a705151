#!/usr/bin/env python3
"""fake_vsphere.py -- a fake vSphere API endpoint (ESXi or vCenter) for check_esxi_time tests.

Faithful to /work/shared/protocols/esxi-vsphere-api.md, Part A. Python 3 standard library only.
Serves HTTPS on 127.0.0.1 only:

  POST /sdk                              SOAP 1.1 (urn:vim25), every profile
  GET  /sdk/vimServiceVersions.xml       supported urn:vim25 versions, every profile
  *    /sdk/vim25/{release}/{Type}/{id}/{member}
                                         vcenter8: VI/JSON (releases 8.0.1.0, 8.0.2.0, 8.0.3.0)
                                         esxi8/esxi67: HTTP 500 text/xml expat SOAP fault, as a
                                         real ESXi does (its /sdk parses every body as XML)

Profiles (--profile):
  esxi8     standalone ESXi 8.0.3 (HostAgent, apiVersion 8.0.3.0), one host "ha-host"
  esxi67    standalone ESXi 6.7 (HostAgent, apiVersion 6.7.3): HostDateTimeInfo has only
            timeZone and ntpConfig (no systemClockProtocol, no 7.0.3 health fields)
  vcenter8  vCenter 8.0.3 (VirtualCenter, apiVersion 8.0.3.0), hosts host-11 and host-12

SOAP requests are versioned by the SOAPAction header "urn:vim25/<version>". A missing or
empty SOAPAction means the baseline urn:vim25 schema, which has no RetrievePropertiesEx or
CreateContainerView (MethodNotFound), and data objects are cut to the requested version
(fields newer than it are left out; asking for them by path gives InvalidProperty).

Options:
  --port N --cert PEM --key PEM --profile P   required
  --state-file F    JSON {"logins","logouts","open_sessions","requests","views_open"},
                    rewritten atomically (rename) after every change. logins counts
                    successful logins; requests every HTTP request; open_sessions sessions
                    neither logged out nor expired; views_open views not destroyed with
                    DestroyView, even after their session logged out (a real server would
                    drop them then; the fake keeps counting so tests catch a missing
                    DestroyView).
  --ready-file F    "ready\\n" is written once the socket listens
  --lifetime S      exit after S seconds (default 120); SIGTERM/SIGINT exit at once
  -v                log requests to stderr
  --user U --password P   accepted credentials (default monitor / s3cret!)

Scenario flags:
  --set [HOST:]KEY=VALUE  (repeatable; HOST = a host name, e.g. esx02.example.com)
      clock_offset=SECONDS      host clock = real UTC + SECONDS (QueryDateTime, CurrentTime
                                on ESXi, lastSyncTime)
      ntpd_running=true|false   ntpd HostService.running (also the default of `enabled`)
      ntpd_policy=on|automatic|off
      ntp_servers=a,b           ntpConfig.server; empty = none (field left out)
      service_sync=true|false
      last_sync_age=SECONDS|none   lastSyncTime = host clock - SECONDS; none = field absent
      in_fallback=true|false
      remote_ntp_server=ADDR    empty = field absent
      enabled=true|false        HostDateTimeInfo.enabled
      clock_protocol=ntp|ptp    systemClockProtocol
  --bad-password          every Login fails with InvalidLogin
  --expire-session-once   the first call of the run made with a valid session answers
                          NotAuthenticated and drops that session (it "expired": it no
                          longer counts as open, and is not a logout); later calls with a
                          new session work
  --slow S                sleep S seconds before every response
  --http-500              every request gets HTTP 500 text/html "Internal Server Error"
  --malformed             every response body is cut in half (Content-Length matches)
  --oversized             the ServiceContent response is padded by 20 MB (XML comment /
                          JSON whitespace)
"""

import argparse
import datetime as dt
import json
import os
import secrets
import signal
import ssl
import sys
import threading
import time
import traceback
import uuid
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree as ET
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
VIM = "urn:vim25"
BASELINE = (2, 5)  # urn:vim25 with no version: the VI 2.5 schema
V70, V703 = (7, 0), (7, 0, 3)
JSON_RELEASES = ("8.0.1.0", "8.0.2.0", "8.0.3.0")
PAD_BYTES = 20 * 1024 * 1024
MAX_BODY = 4 * 1024 * 1024

MoRef = namedtuple("MoRef", "type value")


class Fault(Exception):
    """A vSphere fault: rendered as a SOAP fault or a VI/JSON fault object."""

    def __init__(self, kind, message, fields=None, status=500, code="ServerFaultCode"):
        super().__init__(message)
        self.kind, self.message, self.fields = kind, message, fields or {}
        self.status, self.code = status, code


def not_found(ref):
    return Fault("ManagedObjectNotFound",
                 f"The object 'vim.{ref.type}:{ref.value}' has already been deleted or "
                 "has not been completely created", {"obj": ref})


def not_authenticated(ref):
    return Fault("NotAuthenticated", "The session is not authenticated.",
                 {"object": ref, "privilegeId": "System.View"})


def method_not_found(ref, method):
    return Fault("MethodNotFound",
                 f"Unable to resolve WSDL method name {method} for namespace name urn:vim25",
                 {"receiver": ref, "method": method})


def invalid_property(name):
    return Fault("InvalidProperty", "", {"name": name})


def invalid_request(message, status=500):
    return Fault("InvalidRequest", message, status=status, code="ClientFaultCode")


# ---------------------------------------------------------------------------------------
# Time and versions
# ---------------------------------------------------------------------------------------
def utc_now(offset=0.0):
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=offset)


def iso(when):
    """ISO-8601 with microseconds and Z, as vSphere writes xsd:dateTime."""
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_version(text):
    """'8.0.3.0' -> (8, 0, 3) (trailing zeros dropped); None if not a version."""
    try:
        parts = [int(p) for p in text.split(".")]
    except ValueError:
        return None
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def soap_version(header):
    """The schema version a SOAPAction header asks for (baseline if none)."""
    action = (header or "").strip().strip('"')
    if not action.startswith(VIM + "/"):
        return BASELINE
    return parse_version(action[len(VIM) + 1:]) or BASELINE


# ---------------------------------------------------------------------------------------
# Profiles and per-host state
# ---------------------------------------------------------------------------------------
def about(name, full, version, build, os_type, line, api_type, api_version, lic, **extra):
    info = {"_typeName": "AboutInfo", "name": name, "fullName": full, "vendor": "VMware, Inc.",
            "version": version, "build": build, "localeVersion": "INTL", "localeBuild": "000",
            "osType": os_type, "productLineId": line, "apiType": api_type,
            "apiVersion": api_version}
    info.update(extra)
    info.update({"licenseProductName": lic, "licenseProductVersion": version.split(".")[0] + ".0"})
    return info


def esx_managers(suffix=""):
    """HostConfigManager morefs: ESXi names, or vCenter's per-host names with a suffix."""
    esxi = not suffix
    names = [("cpuScheduler", "HostCpuSchedulerSystem", "cpuSchedulerSystem"),
             ("datastoreSystem", "HostDatastoreSystem",
              "ha-datastoresystem" if esxi else "datastoreSystem"),
             ("memoryManager", "HostMemorySystem", "memoryManagerSystem"),
             ("storageSystem", "HostStorageSystem", "storageSystem"),
             ("networkSystem", "HostNetworkSystem", "networkSystem"),
             ("serviceSystem", "HostServiceSystem", "serviceSystem"),
             ("firewallSystem", "HostFirewallSystem", "firewallSystem"),
             ("advancedOption", "OptionManager",
              "ha-adv-options" if esxi else "EsxHostAdvSettings"),
             ("dateTimeSystem", "HostDateTimeSystem", "dateTimeSystem"),
             ("healthStatusSystem", "HostHealthStatusSystem", "healthStatusSystem")]
    return {field: MoRef(kind, value + suffix) for field, kind, value in names}


ESXI_SC = {"root": "ha-folder-root", "pc": "ha-property-collector", "sm": "ha-sessionmgr",
           "si": "ha-searchindex", "setting": "HostAgentSettings",
           "users": "ha-user-directory", "auth": "ha-authmgr", "perf": "ha-perfmgr",
           "events": "ha-eventmgr", "tasks": "ha-taskmgr"}
PROFILES = {
    "esxi8": {
        "about": about("VMware ESXi", "VMware ESXi 8.0.3 build-24022510", "8.0.3", "24022510",
                       "vmnix-x86", "embeddedEsx", "HostAgent", "8.0.3.0",
                       "VMware ESX Server"),
        "sc": ESXI_SC, "json": False,
        "hosts": [("ha-host", "esxi01.example.com", "")],
    },
    "esxi67": {
        "about": about("VMware ESXi", "VMware ESXi 6.7.0 build-14320388", "6.7.0", "14320388",
                       "vmnix-x86", "embeddedEsx", "HostAgent", "6.7.3",
                       "VMware ESX Server"),
        "sc": ESXI_SC, "json": False,
        "hosts": [("ha-host", "esxi01.example.com", "")],
    },
    "vcenter8": {
        "about": about("VMware vCenter Server", "VMware vCenter Server 8.0.3 build-24022515",
                       "8.0.3", "24022515", "linux-x64", "vpx", "VirtualCenter", "8.0.3.0",
                       "VMware VirtualCenter Server",
                       instanceUuid="5f1c6e3a-2b7d-4c1e-9a0f-3d2b1c0e9f81"),
        "sc": {"root": "group-d1", "pc": "propertyCollector", "sm": "SessionManager",
               "si": "SearchIndex", "setting": "VpxSettings", "users": "UserDirectory",
               "auth": "AuthorizationManager", "perf": "PerfMgr", "events": "EventManager",
               "tasks": "TaskManager"},
        "json": True,
        "hosts": [("host-11", "esx01.example.com", "-11"),
                  ("host-12", "esx02.example.com", "-12")],
    },
}

def parse_bool(text):
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def parse_choice(*choices):
    def parse(text):
        if text not in choices:
            raise ValueError(f"{text!r} is not one of {', '.join(choices)}")
        return text
    return parse


def parse_age(text):
    return None if text == "none" else float(text)


SCENARIO_PARSERS = {
    "clock_offset": float, "ntpd_running": parse_bool,
    "ntpd_policy": parse_choice("on", "automatic", "off"),
    "ntp_servers": lambda t: [s.strip() for s in t.split(",") if s.strip()],
    "service_sync": parse_bool, "last_sync_age": parse_age, "in_fallback": parse_bool,
    "remote_ntp_server": str, "enabled": parse_bool,
    "clock_protocol": parse_choice("ntp", "ptp"),
}


class Host:
    """One ESXi host: its morefs and its time-service state."""

    def __init__(self, moid, name, suffix, api):
        self.ref = MoRef("HostSystem", moid)
        self.name = name
        self.managers = esx_managers(suffix)
        self.api = api  # the server's schema version, a tuple
        self.state = {"clock_offset": 0.0, "ntpd_running": True, "ntpd_policy": "on",
                      "ntp_servers": ["10.0.0.11", "10.0.0.12"], "service_sync": True,
                      "last_sync_age": 60.0, "in_fallback": False,
                      "remote_ntp_server": "10.0.0.11", "enabled": None,
                      "clock_protocol": "ntp"}

    def now(self):
        return utc_now(self.state["clock_offset"])

    def date_time_info(self, version):
        """HostDateTimeInfo as the requested schema version sees it (None = unset)."""
        ver = min(version, self.api)
        st = self.state
        info = {"_typeName": "HostDateTimeInfo",
                "timeZone": {"_typeName": "HostDateTimeSystemTimeZone", "key": "UTC",
                             "name": "UTC", "description": "UTC", "gmtOffset": 0}}
        if ver >= V70:
            info["systemClockProtocol"] = st["clock_protocol"]
        info["ntpConfig"] = {"_typeName": "HostNtpConfig", "server": st["ntp_servers"] or None}
        if ver >= V703:
            age = st["last_sync_age"]
            enabled = st["ntpd_running"] if st["enabled"] is None else st["enabled"]
            info.update({
                "enabled": enabled, "disableEvents": False, "disableFallback": False,
                "inFallbackState": st["in_fallback"], "serviceSync": st["service_sync"],
                "lastSyncTime": None if age is None else self.now() - dt.timedelta(seconds=age),
                "remoteNtpServer": st["remote_ntp_server"] or None,
                "ntpRunTime": 86400, "ntpDuration": "1 day"})
        return info

    def service_info(self):
        st = self.state
        services = [service("DCUI", "Direct Console UI", True, "on", []),
                    service("TSM", "ESXi Shell", False, "off", []),
                    service("TSM-SSH", "SSH", False, "off", ["sshServer"]),
                    service("lbtd", "Load-Based Teaming Daemon", True, "on", []),
                    service("ntpd", "NTP Daemon", st["ntpd_running"], st["ntpd_policy"],
                            ["ntpClient"])]
        if self.api >= V703:
            services.append(service("ptpd", "PTP Daemon", False, "off", ["ptpd"]))
        return {"_typeName": "HostServiceInfo", "service": services}

    def config_manager(self):
        return dict({"_typeName": "HostConfigManager"}, **self.managers)


def service(key, label, running, policy, ruleset):
    return {"_typeName": "HostService", "key": key, "label": label, "required": False,
            "uninstallable": False, "running": running, "ruleset": ruleset or None,
            "policy": policy,
            "sourcePackage": {"_typeName": "HostServiceSourcePackage",
                              "sourcePackageName": "esx-base",
                              "description": "This VIB contains all of the base "
                                             "functionality of vSphere ESXi."}}


def apply_scenario(hosts, settings):
    """--set [HOST:]KEY=VALUE onto the hosts; ValueError on a bad setting."""
    for setting in settings:
        target, sep, value = setting.partition("=")
        if not sep:
            raise ValueError(f"--set {setting!r}: expected [HOST:]KEY=VALUE")
        host_name, _, key = target.rpartition(":")
        if key not in SCENARIO_PARSERS:
            raise ValueError(f"--set: unknown key {key!r} (known: {', '.join(SCENARIO_PARSERS)})")
        chosen = [h for h in hosts if not host_name or h.name == host_name]
        if not chosen:
            raise ValueError(f"--set: no host named {host_name!r}")
        parsed = SCENARIO_PARSERS[key](value)
        for host in chosen:
            host.state[key] = parsed


# ---------------------------------------------------------------------------------------
# Sessions, views and counters (shared by SOAP and VI/JSON)
# ---------------------------------------------------------------------------------------
class Backend:
    """Session table, container views, counters and the state file. Thread-safe."""

    def __init__(self, opts):
        self.lock = threading.Lock()
        self.user, self.password = opts.user, opts.password
        self.bad_password = opts.bad_password
        self.expire_pending = opts.expire_session_once
        self.state_file = opts.state_file
        self.sessions = {}  # token -> dict
        self.views = {}  # view moid -> {"session": token, "hosts": [MoRef]}
        self.view_seq = 0
        self.counts = {"logins": 0, "logouts": 0, "open_sessions": 0, "requests": 0,
                       "views_open": 0}
        self.write_state()

    def write_state(self):
        """Caller holds the lock (or is single-threaded)."""
        if not self.state_file:
            return
        self.counts["open_sessions"] = len(self.sessions)
        self.counts["views_open"] = len(self.views)
        tmp = f"{self.state_file}.tmp.{os.getpid()}"
        with open(tmp, "w", encoding="ascii") as f:
            json.dump(self.counts, f)
            f.write("\n")
        os.replace(tmp, self.state_file)

    def count_request(self):
        with self.lock:
            self.counts["requests"] += 1
            self.write_state()

    def login(self, user, password, peer):
        if self.bad_password or user != self.user or password != self.password:
            raise Fault("InvalidLogin",
                        "Cannot complete login due to an incorrect user name or password.")
        token = secrets.token_hex(20)
        now = utc_now()
        session = {"_typeName": "UserSession", "key": str(uuid.uuid4()), "userName": user,
                   "fullName": user, "loginTime": now, "lastActiveTime": now,
                   "locale": "en", "messageLocale": "en", "extensionSession": False,
                   "ipAddress": peer, "userAgent": "", "callCount": 0}
        with self.lock:
            self.sessions[token] = session
            self.counts["logins"] += 1
            self.write_state()
        return token, session

    def authenticate(self, token, this):
        """The session for TOKEN, or NotAuthenticated (on `this`). Applies --expire-session-once."""
        with self.lock:
            session = self.sessions.get(token) if token else None
            if session is not None and self.expire_pending:
                self.expire_pending = False
                del self.sessions[token]
                self.write_state()
                session = None
            if session is None:
                raise not_authenticated(this)
            session["lastActiveTime"] = utc_now()
            session["callCount"] += 1
            return token

    def logout(self, token):
        with self.lock:
            if self.sessions.pop(token, None) is not None:
                self.counts["logouts"] += 1
                self.write_state()

    def create_view(self, token, hosts):
        with self.lock:
            session = self.sessions.get(token)
            if session is None:
                raise not_authenticated(MoRef("ViewManager", "ViewManager"))
            self.view_seq += 1
            moid = f"session[{session['key']}]view-{self.view_seq}"
            self.views[moid] = {"session": token, "hosts": hosts}
            self.write_state()
        return MoRef("ContainerView", moid)

    def view(self, token, ref):
        with self.lock:
            view = self.views.get(ref.value)
        if ref.type != "ContainerView" or view is None or view["session"] != token:
            raise not_found(ref)
        return view

    def destroy_view(self, token, ref):
        self.view(token, ref)
        with self.lock:
            self.views.pop(ref.value, None)
            self.write_state()


# ---------------------------------------------------------------------------------------
# The object model, independent of the wire encoding
# ---------------------------------------------------------------------------------------
class Model:
    """Managed objects of one profile, their properties and their methods."""

    def __init__(self, profile, backend):
        self.profile = profile
        self.about = profile["about"]
        self.api = parse_version(self.about["apiVersion"])
        self.backend = backend
        sc = profile["sc"]
        self.hosts = [Host(moid, name, sfx, self.api) for moid, name, sfx in profile["hosts"]]
        self.refs = {
            "si": MoRef("ServiceInstance", "ServiceInstance"),
            "root": MoRef("Folder", sc["root"]),
            "pc": MoRef("PropertyCollector", sc["pc"]),
            "vm": MoRef("ViewManager", "ViewManager"),
            "sm": MoRef("SessionManager", sc["sm"]),
            "search": MoRef("SearchIndex", sc["si"]),
        }
        self.objects = {ref: None for ref in self.refs.values()}
        for host in self.hosts:
            self.objects[host.ref] = host
            self.objects[host.managers["dateTimeSystem"]] = host
            self.objects[host.managers["serviceSystem"]] = host

    def service_content(self):
        sc, r = self.profile["sc"], self.refs
        return {"_typeName": "ServiceContent", "rootFolder": r["root"],
                "propertyCollector": r["pc"], "viewManager": r["vm"], "about": self.about,
                "setting": MoRef("OptionManager", sc["setting"]),
                "userDirectory": MoRef("UserDirectory", sc["users"]),
                "sessionManager": r["sm"],
                "authorizationManager": MoRef("AuthorizationManager", sc["auth"]),
                "perfManager": MoRef("PerformanceManager", sc["perf"]),
                "eventManager": MoRef("EventManager", sc["events"]),
                "taskManager": MoRef("TaskManager", sc["tasks"]), "searchIndex": r["search"]}

    def server_time(self):
        """ServiceInstance.CurrentTime: the host clock on ESXi, vCenter's own clock."""
        if self.about["apiType"] == "HostAgent":
            return self.hosts[0].now()
        return utc_now()

    def check(self, token, ref):
        """Raise ManagedObjectNotFound unless REF names a live object."""
        if ref.type == "ContainerView":
            self.backend.view(token, ref)
        elif ref not in self.objects:
            raise not_found(ref)

    def create_view(self, token, container, types):
        if container != self.refs["root"]:
            raise not_found(container)
        hosts = [h.ref for h in self.hosts] if (not types or "HostSystem" in types) else []
        return self.backend.create_view(token, hosts)

    def properties(self, token, ref, version):
        """Top-level property name -> value getter of a managed object."""
        if ref.type == "ContainerView":
            view = self.backend.view(token, ref)
            return {"view": lambda: list(view["hosts"]), "container": lambda: self.refs["root"],
                    "type": lambda: ["HostSystem"]}
        if ref not in self.objects:
            raise not_found(ref)
        host = self.objects[ref]
        if ref.type == "HostSystem":
            return {"name": lambda: host.name, "configManager": host.config_manager}
        if ref.type == "HostDateTimeSystem":
            return {"dateTimeInfo": lambda: host.date_time_info(version)}
        if ref.type == "HostServiceSystem":
            return {"serviceInfo": host.service_info}
        if ref.type == "ServiceInstance":
            return {"content": self.service_content, "serverClock": self.server_time}
        return {}

    def get(self, token, ref, path, version):
        """The value at a (dotted) property path; None if unset; InvalidProperty if unknown."""
        head, *rest = path.split(".")
        getters = self.properties(token, ref, version)
        if head not in getters:
            raise invalid_property(path)
        value = getters[head]()
        for name in rest:
            if not isinstance(value, dict) or name not in value or name == "_typeName":
                raise invalid_property(path)
            value = value[name]
        return value

    def host_clock(self, ref):
        return self.objects[ref].now()

    def retrieve(self, token, specs, version):
        """PropertyCollector: [(moref, [(path, value)])] for parsed PropertyFilterSpecs."""
        results = []
        for spec in specs:
            for objspec in spec["objects"]:
                for target in self.traverse(token, objspec):
                    pspec = spec["props"].get(target.type)
                    if pspec is not None:
                        results.append((target, self.collect(token, target, pspec, version)))
        return results

    def traverse(self, token, objspec):
        """The objects an ObjectSpec selects: itself unless skip, plus ContainerView.view."""
        obj = objspec["obj"]
        self.check(token, obj)
        found = [] if objspec["skip"] else [obj]
        for sel in objspec["select"]:
            if obj.type == "ContainerView" and sel == ("ContainerView", "view"):
                found.extend(self.backend.view(token, obj)["hosts"])
        return found

    def collect(self, token, target, pspec, version):
        paths = list(self.properties(token, target, version)) if pspec["all"] else pspec["paths"]
        props = []
        for path in paths:
            value = self.get(token, target, path, version)
            if value is not None:
                props.append((path, value))
        return props


# ---------------------------------------------------------------------------------------
# Encoders: XML (SOAP) and JSON (VI/JSON)
# ---------------------------------------------------------------------------------------
def xml_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return iso(value)
    return escape(str(value))


def xsd_type(value):
    if isinstance(value, bool):
        return "xsd:boolean"
    if isinstance(value, int):
        return "xsd:int"
    if isinstance(value, dt.datetime):
        return "xsd:dateTime"
    return "xsd:string"


def to_xml(name, value, typed=False):
    """<name>value</name>; typed adds xsi:type (a property value, or an Any)."""
    if value is None:
        return ""
    if isinstance(value, list):
        if not typed:
            return "".join(to_xml(name, item) for item in value)
        if not value or isinstance(value[0], MoRef):
            inner = "".join(to_xml("ManagedObjectReference", v, True) for v in value)
            return f'<{name} xsi:type="ArrayOfManagedObjectReference">{inner}</{name}>'
        inner = "".join(to_xml("string", v) for v in value)
        return f'<{name} xsi:type="ArrayOfString">{inner}</{name}>'
    if isinstance(value, MoRef):
        xsi = ' xsi:type="ManagedObjectReference"' if typed else ""
        return f"<{name} type={quoteattr(value.type)}{xsi}>{escape(value.value)}</{name}>"
    if isinstance(value, dict):
        xsi = f' xsi:type="{value["_typeName"]}"' if typed else ""
        inner = "".join(to_xml(k, v) for k, v in value.items() if k != "_typeName")
        return f"<{name}{xsi}>{inner}</{name}>"
    xsi = f' xsi:type="{xsd_type(value)}"' if typed else ""
    return f"<{name}{xsi}>{xml_text(value)}</{name}>"


def jsonable(value):
    if isinstance(value, MoRef):
        return {"_typeName": "ManagedObjectReference", "type": value.type, "value": value.value}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return iso(value)
    return value


def to_json(value):
    return json.dumps(jsonable(value), separators=(",", ":")).encode()


SOAP_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/"\n'
             ' xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"\n'
             ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"\n'
             ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>\n')
SOAP_TAIL = "\n</soapenv:Body>\n</soapenv:Envelope>"


def soap_body(inner, padding=""):
    return (SOAP_HEAD + padding + inner + SOAP_TAIL).encode()


def soap_fault_body(fault):
    detail = ""
    if fault.kind:
        fields = "".join(to_xml(k, v) for k, v in fault.fields.items())
        detail = (f'<detail><{fault.kind}Fault xmlns="urn:vim25" xsi:type="{fault.kind}">'
                  f"{fields}</{fault.kind}Fault></detail>")
    return soap_body(f"<soapenv:Fault><faultcode>{fault.code}</faultcode>"
                     f"<faultstring>{escape(fault.message)}</faultstring>{detail}"
                     "</soapenv:Fault>")


def expat_fault(body):
    """The fault a real /sdk answers to a body expat cannot parse (None if it parses)."""
    parser = expat.ParserCreate()
    try:
        parser.Parse(body, True)
        return None
    except expat.ExpatError as err:
        message = (f"\nError returned by expat parser: {expat.ErrorString(err.code)}\n\n"
                   "while parsing HTTP request before method was determined\n"
                   f"at line {err.lineno}, column {err.offset}")
        return Fault(None, message, code="ClientFaultCode")


class Response:
    def __init__(self, status, ctype, body=b"", headers=()):
        self.status, self.ctype, self.body, self.headers = status, ctype, body, list(headers)


def xml_response(status, body, headers=()):
    return Response(status, "text/xml; charset=utf-8", body, headers)


def json_response(status, value=None, headers=(), raw=None):
    body = raw if raw is not None else (b"" if value is None else to_json(value))
    return Response(status, "application/json" if body else None, body, headers)


def json_fault(fault, status=None):
    obj = dict({"_typeName": fault.kind, "faultstring": fault.message}, **fault.fields)
    return json_response(status or fault.status, obj)


# ---------------------------------------------------------------------------------------
# SOAP
# ---------------------------------------------------------------------------------------
def local(tag):
    return tag.rpartition("}")[2]


def child(el, name):
    for c in el:
        if local(c.tag) == name:
            return c
    return None


def children(el, name):
    return [c for c in el if local(c.tag) == name]


def text_of(el, name, default=None):
    c = child(el, name)
    return default if c is None or c.text is None else c.text.strip()


def moref_of(el, name):
    c = child(el, name)
    if c is None or c.get("type") is None:
        raise invalid_request(f"missing ManagedObjectReference {name}")
    return MoRef(c.get("type"), (c.text or "").strip())


def bool_of(el, name, default=False):
    value = text_of(el, name)
    return default if value is None else value in ("true", "1")


def parse_filter_spec(spec):
    props = {}
    for ps in children(spec, "propSet"):
        props[text_of(ps, "type", "")] = {
            "all": bool_of(ps, "all"),
            "paths": [(p.text or "").strip() for p in children(ps, "pathSet")]}
    objects = []
    for os_ in children(spec, "objectSet"):
        select = [(text_of(s, "type"), text_of(s, "path")) for s in children(os_, "selectSet")]
        objects.append({"obj": moref_of(os_, "obj"), "skip": bool_of(os_, "skip"),
                        "select": select})
    return {"props": props, "objects": objects}


def object_content_xml(ref, props):
    sets = "".join(f"<propSet><name>{escape(p)}</name>{to_xml('val', v, True)}</propSet>"
                   for p, v in props)
    return f"{to_xml('obj', ref)}{sets}"


class Soap:
    """POST /sdk: parse the envelope, authenticate, dispatch, encode."""

    # method -> (type of _this, needs a session, schema version it appeared in)
    METHODS = {
        "RetrieveServiceContent": ("ServiceInstance", False, BASELINE),
        "CurrentTime": ("ServiceInstance", True, BASELINE),
        "Login": ("SessionManager", False, BASELINE),
        "Logout": ("SessionManager", True, BASELINE),
        "RetrieveProperties": ("PropertyCollector", True, BASELINE),
        "RetrievePropertiesEx": ("PropertyCollector", True, (4, 1)),
        "CreateContainerView": ("ViewManager", True, (4,)),
        "DestroyView": ("ContainerView", True, (4,)),
        "QueryDateTime": ("HostDateTimeSystem", True, BASELINE),
    }

    def __init__(self, model, opts):
        self.model, self.opts = model, opts

    def handle(self, body, headers, peer):
        try:
            method, params = self.parse(body)
            version = soap_version(headers.get("SOAPAction"))
            return self.dispatch(method, params, version, cookie_token(headers), peer)
        except Fault as fault:
            return xml_response(500, soap_fault_body(fault))

    @staticmethod
    def parse(body):
        fault = expat_fault(body)
        if fault:
            raise fault
        root = ET.fromstring(body)
        body_el = child(root, "Body") if root.tag == f"{{{SOAPENV}}}Envelope" else None
        if body_el is None or len(body_el) == 0:
            raise invalid_request("\nwhile parsing SOAP envelope\nat line 1, column 0")
        call = body_el[0]
        if not call.tag.startswith(f"{{{VIM}}}"):
            raise invalid_request(f"Unable to resolve WSDL method name {local(call.tag)} "
                                  f"for namespace name {call.tag[1:].partition('}')[0]}")
        return local(call.tag), call

    def dispatch(self, method, params, version, token, peer):
        this = moref_of(params, "_this")
        kind, needs_session, since = self.METHODS.get(method, (None, True, BASELINE))
        if kind is None or version < since:
            raise method_not_found(this, method)
        if needs_session:
            token = self.model.backend.authenticate(token, this)
        self.model.check(token, this)
        if this.type != kind:
            raise method_not_found(this, method)
        return getattr(self, "do_" + method)(params, version, token, peer)

    def reply(self, method, returnval=None, headers=(), padding=""):
        inner = "" if returnval is None else to_xml("returnval", returnval)
        return xml_response(200, soap_body(
            f'<{method}Response xmlns="urn:vim25">{inner}</{method}Response>', padding), headers)

    def do_RetrieveServiceContent(self, params, version, token, peer):
        padding = ""
        if self.opts.oversized:
            padding = "<!-- " + "x" * PAD_BYTES + " -->\n"
        return self.reply("RetrieveServiceContent", self.model.service_content(),
                          padding=padding)

    def do_CurrentTime(self, params, version, token, peer):
        return self.reply("CurrentTime", self.model.server_time())

    def do_Login(self, params, version, token, peer):
        new_token, session = self.model.backend.login(
            text_of(params, "userName", ""), text_of(params, "password", ""), peer)
        cookie = f'vmware_soap_session="{new_token}"; Path=/; HttpOnly; Secure'
        return self.reply("Login", session, headers=[("Set-Cookie", cookie)])

    def do_Logout(self, params, version, token, peer):
        self.model.backend.logout(token)
        return self.reply("Logout")

    def retrieve(self, params, version, token):
        specs = [parse_filter_spec(s) for s in children(params, "specSet")]
        return self.model.retrieve(token, specs, version)

    def do_RetrievePropertiesEx(self, params, version, token, peer):
        found = self.retrieve(params, version, token)
        if not found:  # a real server leaves out returnval for an empty result
            return self.reply("RetrievePropertiesEx")
        objects = "".join(f"<objects>{object_content_xml(r, p)}</objects>" for r, p in found)
        return xml_response(200, soap_body(
            '<RetrievePropertiesExResponse xmlns="urn:vim25">'
            f"<returnval>{objects}</returnval></RetrievePropertiesExResponse>"))

    def do_RetrieveProperties(self, params, version, token, peer):
        found = self.retrieve(params, version, token)
        objects = "".join(f"<returnval>{object_content_xml(r, p)}</returnval>" for r, p in found)
        return xml_response(200, soap_body(
            f'<RetrievePropertiesResponse xmlns="urn:vim25">{objects}'
            "</RetrievePropertiesResponse>"))

    def do_CreateContainerView(self, params, version, token, peer):
        types = [(t.text or "").strip() for t in children(params, "type")]
        view = self.model.create_view(token, moref_of(params, "container"), types)
        return self.reply("CreateContainerView", view)

    def do_DestroyView(self, params, version, token, peer):
        self.model.backend.destroy_view(token, moref_of(params, "_this"))
        return self.reply("DestroyView")

    def do_QueryDateTime(self, params, version, token, peer):
        return self.reply("QueryDateTime", self.model.host_clock(moref_of(params, "_this")))


def cookie_token(headers):
    """The vmware_soap_session cookie value (quoted or not), or None."""
    for header in headers.get_all("Cookie") or []:
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "vmware_soap_session":
                return value.strip().strip('"')
    return None


# ---------------------------------------------------------------------------------------
# VI/JSON (vcenter8 only)
# ---------------------------------------------------------------------------------------
class ViJson:
    """/sdk/vim25/{release}/{Type}/{id}/{member}: properties by GET, methods by POST."""

    def __init__(self, model, opts):
        self.model, self.opts = model, opts
        # (type, member) -> (HTTP method, needs a session, handler)
        self.routes = {
            ("ServiceInstance", "content"): ("GET", False, self.content),
            ("ServiceInstance", "CurrentTime"): ("POST", True, self.current_time),
            ("SessionManager", "Login"): ("POST", False, self.login),
            ("SessionManager", "Logout"): ("POST", True, self.logout),
            ("ViewManager", "CreateContainerView"): ("POST", True, self.create_view),
            ("ContainerView", "DestroyView"): ("POST", True, self.destroy_view),
            ("HostDateTimeSystem", "QueryDateTime"): ("POST", True, self.query_date_time),
        }
        self.properties = {("ContainerView", "view"), ("HostSystem", "name"),
                           ("HostSystem", "configManager"),
                           ("HostDateTimeSystem", "dateTimeInfo"),
                           ("HostServiceSystem", "serviceInfo")}

    def handle(self, verb, path, body, headers, peer):
        try:
            return self.route(verb, path, body, headers, peer)
        except Fault as fault:
            return json_fault(fault)

    def route(self, verb, path, body, headers, peer):
        parts = [unquote(p) for p in path.split("/")]
        if len(parts) != 7 or parts[:3] != ["", "sdk", "vim25"]:
            raise Fault("ManagedObjectNotFound", f"Unknown path {path}", status=404)
        release, kind, moid, member = parts[3:]
        if release not in JSON_RELEASES:
            raise Fault("InvalidRequest", f"Unsupported release '{release}'", status=400)
        ref = MoRef(kind, moid)
        route = self.routes.get((kind, member))
        if route is None and (kind, member) in self.properties:
            route = ("GET", True, self.property)
        if route is None:
            raise Fault("ManagedObjectNotFound",
                        f"No property or method '{member}' on managed object type '{kind}'",
                        {"obj": ref}, status=404)
        want, needs_session, handler = route
        if verb != want:
            return json_fault(invalid_request(f"Use {want} for {kind}.{member}"), 405)
        token = headers.get("vmware-api-session-id")
        if needs_session:
            token = self.model.backend.authenticate(token, ref)
        try:
            self.model.check(token, ref)
        except Fault as fault:
            fault.status = 404
            raise
        args = self.arguments(body) if verb == "POST" else {}
        version = parse_version(release)
        return handler(ref, member, args, token, version, peer)

    @staticmethod
    def arguments(body):
        if not body.strip():
            return {}
        try:
            args = json.loads(body)
        except ValueError as err:
            raise invalid_request(f"Malformed JSON request body: {err}", 400) from None
        if not isinstance(args, dict):
            raise invalid_request("The request body must be a JSON object", 400)
        return args

    def content(self, ref, member, args, token, version, peer):
        body = to_json(self.model.service_content())
        if self.opts.oversized:
            body = b"{" + b" " * PAD_BYTES + body[1:]
        return json_response(200, raw=body)

    def current_time(self, ref, member, args, token, version, peer):
        return json_response(200, self.model.server_time())

    def login(self, ref, member, args, token, version, peer):
        user, password = args.get("userName"), args.get("password")
        if not isinstance(user, str) or not isinstance(password, str):
            raise invalid_request("Login requires userName and password strings", 400)
        new_token, session = self.model.backend.login(user, password, peer)
        return json_response(200, session, [("vmware-api-session-id", new_token)])

    def logout(self, ref, member, args, token, version, peer):
        self.model.backend.logout(token)
        return json_response(204)

    def create_view(self, ref, member, args, token, version, peer):
        container, types = args.get("container"), args.get("type") or []
        if not isinstance(container, dict) or not isinstance(types, list):
            raise invalid_request("CreateContainerView requires container and type[]", 400)
        cref = MoRef(str(container.get("type")), str(container.get("value")))
        return json_response(200, self.model.create_view(token, cref, types))

    def destroy_view(self, ref, member, args, token, version, peer):
        self.model.backend.destroy_view(token, ref)
        return json_response(204)

    def query_date_time(self, ref, member, args, token, version, peer):
        return json_response(200, self.model.host_clock(ref))

    def property(self, ref, member, args, token, version, peer):
        return json_response(200, self.model.get(token, ref, member, version))


# ---------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------
def service_versions_xml(api_version):
    prior = [v for v in ("8.0.2.0", "8.0.1.0", "8.0.0.0", "7.0.3.0", "7.0.2.0", "7.0.1.0",
                         "7.0", "6.7.3", "6.7.2", "6.7.1", "6.7", "6.5", "6.0", "5.5", "5.1",
                         "5.0", "4.1", "4.0", "2.5u2")
             if parse_version(v.replace("u2", "")) < parse_version(api_version)]
    versions = "".join(f"   <version>{v}</version>\n" for v in prior)
    return (f'<?xml version="1.0" encoding="UTF-8" ?>\n<namespaces version="1.0">\n'
            f" <namespace>\n  <name>urn:vim25</name>\n  <version>{api_version}</version>\n"
            f"  <priorVersions>\n{versions}  </priorVersions>\n </namespace>\n"
            "</namespaces>\n").encode()


INTERNAL_ERROR = (b"<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>"
                  b"<body><h1>Internal Server Error</h1></body></html>\n")


class App:
    """Routes an HTTP request to SOAP / VI/JSON and applies the global scenario flags."""

    def __init__(self, opts):
        self.opts = opts
        self.profile = PROFILES[opts.profile]
        self.backend = Backend(opts)
        self.model = Model(self.profile, self.backend)
        apply_scenario(self.model.hosts, opts.set)
        self.soap = Soap(self.model, opts)
        self.vijson = ViJson(self.model, opts)

    def respond(self, verb, target, body, headers, peer):
        self.backend.count_request()
        if self.opts.http_500:
            response = Response(500, "text/html", INTERNAL_ERROR)
        else:
            response = self.route(verb, urlsplit(target).path, body, headers, peer)
        if self.opts.malformed and response.body:
            response.body = response.body[:len(response.body) // 2]
        if self.opts.slow:
            time.sleep(self.opts.slow)
        return response

    def route(self, verb, path, body, headers, peer):
        if path == "/sdk/vimServiceVersions.xml" and verb == "GET":
            return xml_response(200, service_versions_xml(self.model.about["apiVersion"]))
        if path == "/sdk" and verb == "POST":
            return self.soap.handle(body, headers, peer)
        if path.startswith("/sdk/vim25/") and self.profile["json"]:
            return self.vijson.handle(verb, path, body, headers, peer)
        if path.startswith("/sdk"):
            # What a real ESXi /sdk does with anything else: parse the body as XML.
            fault = expat_fault(body) or invalid_request(
                "\nwhile parsing SOAP envelope\nat line 1, column 0")
            return xml_response(500, soap_fault_body(fault))
        return Response(404, "text/html", b"<html><body>Not Found</body></html>\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response has a Content-Length
    server_version = "fake-vsphere"
    timeout = 30  # idle keep-alive connections are closed after this
    # headers and body leave in separate writes: without TCP_NODELAY the client's
    # delayed ACK adds 40 ms to every response, and the offset check measures that
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self.serve("GET")

    def do_POST(self):
        self.serve("POST")

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
                if sum(map(len, chunks)) > MAX_BODY:
                    raise ValueError("body too large")
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length)

    def serve(self, verb):
        try:
            body = self.read_body()
        except ValueError:
            self.send_error(413)
            return
        try:
            response = self.server.app.respond(verb, self.path, body, self.headers,
                                               self.client_address[0])
        except Exception:  # a bug in the fake: make it loud, answer something sane
            traceback.print_exc()
            response = Response(500, "text/plain", b"fake_vsphere internal error\n")
        self.send_response(response.status)
        if response.ctype:
            self.send_header("Content-Type", response.ctype)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write(f"fake_vsphere: {self.address_string()} {fmt % args}\n")


class Server(ThreadingHTTPServer):
    """HTTPS, one thread per connection; the TLS handshake runs in that thread."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(self, port, ssl_context, app, verbose):
        self.ssl_context, self.app, self.verbose = ssl_context, app, verbose
        super().__init__(("127.0.0.1", port), Handler)

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as err:
            if self.verbose:
                sys.stderr.write(f"fake_vsphere: TLS handshake with {client_address[0]} "
                                 f"failed: {err}\n")
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Fake vSphere API endpoint for tests.")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--profile", required=True, choices=sorted(PROFILES))
    p.add_argument("--state-file")
    p.add_argument("--ready-file")
    p.add_argument("--lifetime", type=float, default=120.0)
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--user", default="monitor")
    p.add_argument("--password", default="s3cret!")
    p.add_argument("--set", action="append", default=[], metavar="[HOST:]KEY=VALUE")
    p.add_argument("--bad-password", action="store_true")
    p.add_argument("--expire-session-once", action="store_true")
    p.add_argument("--slow", type=float, default=0.0)
    p.add_argument("--http-500", action="store_true")
    p.add_argument("--malformed", action="store_true")
    p.add_argument("--oversized", action="store_true")
    return p.parse_args(argv)


def write_atomic(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    opts = parse_args(argv)
    try:
        app = App(opts)
    except ValueError as err:
        print(f"fake_vsphere: {err}", file=sys.stderr)
        return 2
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(opts.cert, opts.key)
    except (OSError, ssl.SSLError) as err:
        print(f"fake_vsphere: cannot load {opts.cert} / {opts.key}: {err}", file=sys.stderr)
        return 1
    try:
        server = Server(opts.port, context, app, opts.verbose)
    except OSError as err:
        print(f"fake_vsphere: cannot listen on 127.0.0.1:{opts.port}: {err}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    worker.start()
    if opts.ready_file:
        write_atomic(opts.ready_file, "ready\n")
    stop.wait(opts.lifetime)
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
