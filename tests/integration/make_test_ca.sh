#!/usr/bin/env bash
# make_test_ca.sh DIR -- throwaway TLS material for the fake vSphere endpoint.
#
# Writes into DIR (created if missing; existing files are overwritten):
#   ca.pem, ca.key             a test CA ("timesync-monitor test CA"), valid 2 days
#   server.pem, server.key     a server certificate signed by that CA for
#                              SAN IP:127.0.0.1 and DNS:localhost (CN localhost)
#   untrusted.pem, untrusted.key
#                              a self-signed certificate with the same names, which
#                              nothing trusts (clients with --cacert ca.pem must reject it)
# All keys are EC P-256, unencrypted, mode 0600. No prompts; needs only the openssl CLI.
# Exit status: 0 on success, 2 on usage errors, 1 if openssl fails.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
mkdir -p -- "$dir"
cd -- "$dir"
umask 077

OPENSSL=${OPENSSL:-openssl}
DAYS=2
SAN="subjectAltName=IP:127.0.0.1,DNS:localhost"

newkey() { # FILE
  "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# The CA: self-signed, CA:TRUE, may sign certificates.
newkey ca.key
"$OPENSSL" req -new -x509 -key ca.key -out ca.pem -days "$DAYS" -sha256 \
  -subj "/O=timesync-monitor tests/CN=timesync-monitor test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash"

# The server certificate, signed by the CA. Extensions come from a file because
# `openssl x509 -req` does not copy them from the request.
newkey server.key
"$OPENSSL" req -new -key server.key -out server.csr \
  -subj "/O=timesync-monitor tests/CN=localhost"
cat >server.ext <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
$SAN
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
EOF
"$OPENSSL" x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -out server.pem -days "$DAYS" -sha256 -extfile server.ext 2>/dev/null

# The untrusted certificate: self-signed, same names, signed by nobody we trust.
newkey untrusted.key
"$OPENSSL" req -new -x509 -key untrusted.key -out untrusted.pem -days "$DAYS" -sha256 \
  -subj "/O=somebody else/CN=localhost" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -addext "extendedKeyUsage=serverAuth" \
  -addext "$SAN"

rm -f server.csr server.ext ca.srl
chmod 0644 ca.pem server.pem untrusted.pem
chmod 0600 ca.key server.key untrusted.key
