#!/usr/bin/env bash
# test_install.sh -- every plugin installs with its man page, and the man page names
# every long option its --help names.
. "$(dirname "$0")/lib.sh"

BIN_DIR=${BIN_DIR:-$TOP/build}
PLUGINS="check_chrony check_w32time check_esxi_time"
t_init install

t_man_pages_cover_options() {
  local p opt out
  for p in $PLUGINS; do
    out=$("$BIN_DIR/$p" -h)
    for opt in $(grep -oE -- '--[a-z][a-z-]+' <<<"$out" | sort -u); do
      grep -qF -- "${opt//-/\\-}" "$TOP/plugins/$p.1" || _t_err "$p.1 lacks $opt" || return 1
    done
  done
}

t_make_install() {
  local dest=$T_TMP/dest p
  # the normal build: a sanitizer build would be relinked without its flags
  make -s -C "$TOP" install DESTDIR="$dest" PREFIX=/usr BUILD=build >/dev/null ||
    _t_err "make install failed" || return 1
  for p in $PLUGINS; do
    [ -x "$dest/usr/lib/nagios/plugins/$p" ] || _t_err "$p not installed" || return 1
    [ -f "$dest/usr/share/man/man1/$p.1" ] || _t_err "$p.1 not installed" || return 1
  done
  [ -x "$dest/usr/sbin/timesync-agentx" ] || _t_err "the agent is not in sbin" || return 1
  [ -f "$dest/usr/share/snmp/mibs/TIMESYNC-MONITOR-MIB.txt" ] || _t_err "MIB not installed" ||
    return 1
  [ -f "$dest/usr/share/man/man8/timesync-agentx.8" ] || _t_err "agent man page" || return 1
  # every contrib file, byte for byte, under share/timesync-monitor
  (cd "$TOP/contrib" && find . -type f) | while read -r f; do
    cmp -s "$TOP/contrib/$f" "$dest/usr/share/timesync-monitor/$f" ||
      { echo "  # contrib/$f not installed"; exit 1; }
  done || _t_err "contrib files missing" || return 1
  [ -f "$dest/usr/share/timesync-monitor/nagios/timesync-commands.cfg" ] ||
    _t_err "no nagios/ in share/timesync-monitor" || return 1
  # the wrappers for node_exporter's textfile directory and Checkmk's local/ stay scripts
  [ -x "$dest/usr/share/timesync-monitor/prometheus/timesync-textfile" ] &&
    [ -x "$dest/usr/share/timesync-monitor/checkmk/timesync-local" ] ||
    _t_err "contrib scripts installed without their execute bit"
}

t_version_lines() {
  local p
  for p in $PLUGINS timesync-agentx; do
    assert_eq "$("$BIN_DIR/$p" -V)" "$p v1.0.0 (timesync-monitor 1.0.0)" "$p -V" || return 1
  done
}

t_run man_pages_cover_options t_man_pages_cover_options
t_run make_install t_make_install
t_run version_lines t_version_lines
t_finish
