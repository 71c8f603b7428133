# Writes a swanctl.conf for one side of a PSK tunnel with one child.
#   swanctl_psk_conf FILE NAME LOCAL_ADDRS REMOTE_ADDRS LOCAL_TS REMOTE_TS MY_ID PEER_ID PSK_BASE64
# Proposals: IKE aes128gcm16-prfsha256-x25519, ESP aes128gcm16.
swanctl_psk_conf() {
  cat >"$1" <<CONF
connections {
  $2 {
    local_addrs = $3
    remote_addrs = $4
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = psk
      id = $7
    }
    remote {
      auth = psk
      id = $8
    }
    children {
      net {
        local_ts = $5
        remote_ts = $6
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  ike-$2 {
    id-1 = $7
    id-2 = $8
    secret = 0s$9
  }
}
CONF
}
