#!/bin/sh
# tls_certs.sh DIR - test certificates made with the openssl command line: a CA, a server
# certificate for 127.0.0.1, a client certificate, one from a wrong CA, and an expired one.
set -eu
d=$1
mkdir -p "$d"
cd "$d"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # NAME CN: a self-signed CA
	key "$1.key"
	openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 30 -out "$1.pem" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() { # NAME CN CA EXT: a certificate signed by CA for 30 days
	key "$1.key"
	openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
	printf '%s\n' "$4" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "0x$(openssl rand -hex 8)" \
		-days 30 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
ca ca "Fairgate test CA"
ca wrongca "Some other CA"
leaf server 127.0.0.1 ca "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
leaf client "agency client" ca "extendedKeyUsage=clientAuth"
leaf stranger "stranger" wrongca "extendedKeyUsage=clientAuth"
# expired: openssl 3.0's x509 has no -not_after, so sign it with `openssl ca` and fixed dates
key expired.key
openssl req -new -key expired.key -subj "/CN=expired client" -out expired.csr
mkdir -p cadb && : >cadb/index.txt && echo 1000 >cadb/serial
cat >ca.cnf <<CNF
[ca]
default_ca = test
[test]
dir = cadb
database = cadb/index.txt
serial = cadb/serial
new_certs_dir = cadb
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = anything
x509_extensions = client
[anything]
commonName = supplied
[client]
extendedKeyUsage = clientAuth
CNF
openssl ca -batch -config ca.cnf -startdate 20200101000000Z -enddate 20200102000000Z \
	-in expired.csr -out expired.pem 2>/dev/null
