#!/usr/bin/env bash
# Makes a private certificate authority and the certificates SKP's deployment uses for TLS:
# NATS servers and PostgreSQL (server certificates) and SKP's processes (a client
# certificate, for servers that verify clients).
#
#   deploy/certs/make-certs.sh DIR [NAME...]
#
# DIR receives ca.pem (give it to every client: SKP_NATS_TLS_CA, sslrootcert=),
# ca-key.pem (keep it offline), server-cert.pem/server-key.pem (for nats-server and
# PostgreSQL; valid for localhost, 127.0.0.1 and every NAME, e.g. n1 n2 n3 postgres) and
# client-cert.pem/client-key.pem (SKP_NATS_TLS_CERT/SKP_NATS_TLS_KEY). Keys are mode 0600.
# The certificates are valid for 825 days; run it again (with a new DIR) to renew.
# Needs openssl. Existing files in DIR are left alone: remove them to make new ones.
set -euo pipefail

dir=${1:?usage: make-certs.sh DIR [NAME...]}
shift
mkdir -p "$dir"
cd "$dir"
san="DNS:localhost,IP:127.0.0.1"
for name in "$@"; do
    san="$san,DNS:$name"
done
days=825

if [[ ! -f ca.pem ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" -subj "/CN=SKP private CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout ca-key.pem -out ca.pem 2>/dev/null
fi

leaf() { # leaf NAME USAGE
    local name=$1 usage=$2
    [[ -f "$name-cert.pem" ]] && return 0
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=skp-$name" -keyout "$name-key.pem" -out "$name.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\nsubjectAltName=%s\n' "$usage" "$san" > "$name.ext"
    openssl x509 -req -sha256 -days "$days" -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
        -extfile "$name.ext" -out "$name-cert.pem" 2>/dev/null
    rm -f "$name.csr" "$name.ext"
}
leaf server serverAuth
leaf client clientAuth
chmod 600 ./*-key.pem
echo "certificates in $(pwd): ca.pem, server-cert.pem, server-key.pem, client-cert.pem, client-key.pem"
