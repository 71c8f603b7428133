# FreeRADIUS 3.x as a test RADIUS server: a private copy of the Debian
# configuration in a scratch directory, run as root in a test namespace.
# Source it after netns.sh.
#
#   fr_setup DIR CLIENT_ADDR SECRET          # raddb, log, radacct under DIR
#   fr_add_user DIR USER PASSWORD [FRAMED_IP]
#   pid=$(ns_spawn NS freeradius -X -f -d DIR/raddb)
#   wait_for 15 fr_listening NS
#   fr_detail DIR                            # the accounting detail file(s), concatenated

fr_setup() {
  local dir=$1 client=$2 secret=$3
  local r=$dir/raddb
  mkdir -p "$dir/log" "$dir/run" "$dir/radacct"
  cp -a /etc/freeradius/3.0 "$r"
  # Our own log/accounting/run folders; stay root (no setuid to freerad).
  sed -i -e "s|^logdir = .*|logdir = $dir/log|" \
    -e "s|^radacctdir = .*|radacctdir = $dir/radacct|" \
    -e "s|^run_dir = .*|run_dir = $dir/run|" \
    -e 's|^\(\s*\)user = freerad|\1#user = freerad|' \
    -e 's|^\(\s*\)group = freerad|\1#group = freerad|' "$r/radiusd.conf"
  cat >"$r/clients.conf" <<CLIENTS
client gateway {
	ipaddr = $client
	secret = $secret
	require_message_authenticator = yes
	nas_type = other
}
CLIENTS
  # EAP without the TLS-based methods (Debian ships no server certificate).
  rm -f "$r/mods-enabled/eap" "$r/sites-enabled/inner-tunnel"
  cat >"$r/mods-enabled/eap" <<'EAP'
eap {
	default_eap_type = mschapv2
	timer_expire = 60
	ignore_unknown_eap_types = no
	cisco_accounting_username_bug = no
	max_sessions = ${max_requests}
	md5 {
	}
	mschapv2 {
	}
}
EAP
}

fr_add_user() {
  local dir=$1 user=$2 password=$3 ip=${4:-}
  local f=$dir/raddb/mods-config/files/authorize
  local entry
  entry=$(printf '%s Cleartext-Password := "%s"\n' "$user" "$password")
  [[ -n $ip ]] && entry+=$(printf '\n\tFramed-IP-Address = %s' "$ip")
  { printf '%s\n\n' "$entry"; cat "$f"; } >"$f.new"
  mv "$f.new" "$f"
}

fr_listening() {
  ns_exec "$1" ss -Huln 'sport = :1812' | grep -q .
}

fr_detail() {
  find "$1/radacct" -type f -name 'detail-*' -exec cat {} + 2>/dev/null
}
