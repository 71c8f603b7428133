# Test PKI made at test time with the openssl CLI (no keys in the repository).
#   pki_ca DIR KIND            -> DIR/ca.pem DIR/ca.key (KIND: ecdsa | rsa | ed25519)
#   pki_cert DIR KIND NAME SAN -> DIR/NAME.pem DIR/NAME.key, signed by DIR/ca
# SAN is a DNS name; the subject is "C=CH, O=ikedaemon test, CN=SAN".

pki_genkey() {  # KIND OUT
  case "$1" in
    ecdsa) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" 2>/dev/null ;;
    ecdsa384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" 2>/dev/null ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$2" 2>/dev/null ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$2" 2>/dev/null ;;
    *) echo "pki: unknown key kind $1" >&2; return 1 ;;
  esac
}

pki_ca() {
  local dir=$1 kind=$2
  mkdir -p "$dir"
  pki_genkey "$kind" "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -subj "/C=CH/O=ikedaemon test/CN=ikedaemon test CA" \
    -days 30 -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem" 2>/dev/null
}

pki_cert() {
  local dir=$1 kind=$2 name=$3 san=$4
  pki_genkey "$kind" "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "/C=CH/O=ikedaemon test/CN=$san" -out "$dir/$name.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" \
    >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
    -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

# Lays out swanctl-style credential folders under CONFDIR for NAME.
pki_install() {  # PKIDIR NAME CONFDIR
  mkdir -p "$3/x509" "$3/x509ca" "$3/private"
  cp "$1/ca.pem" "$3/x509ca/ca.pem"
  cp "$1/$2.pem" "$3/x509/$2.pem"
  cp "$1/$2.key" "$3/private/$2.key"
  chmod 600 "$3/private/$2.key"
}
