#include "libike/crypto/psk_auth.h"

namespace ike::crypto {

namespace {
constexpr char kKeyPad[] = "Key Pad for IKEv2";  // 17 octets, no NUL
}

CryptoResult<Bytes> BuildSignedOctets(const Prf& prf, ByteView real_message, ByteView peer_nonce,
                                      ByteView sk_p, ByteView rest_of_id_payload) {
  IKE_ASSIGN_OR_RETURN(SecretBytes maced_id, prf.Compute(sk_p, rest_of_id_payload));
  Bytes out;
  out.reserve(real_message.size() + peer_nonce.size() + maced_id.size());
  out.insert(out.end(), real_message.begin(), real_message.end());
  out.insert(out.end(), peer_nonce.begin(), peer_nonce.end());
  out.insert(out.end(), maced_id.view().begin(), maced_id.view().end());
  return out;
}

CryptoResult<Bytes> ComputePskAuth(const Prf& prf, ByteView shared_secret, ByteView signed_octets) {
  IKE_ASSIGN_OR_RETURN(SecretBytes padded_key,
                       prf.Compute(shared_secret, ByteView(reinterpret_cast<const uint8_t*>(kKeyPad),
                                                           sizeof(kKeyPad) - 1)));
  IKE_ASSIGN_OR_RETURN(SecretBytes auth, prf.Compute(padded_key.view(), signed_octets));
  return Bytes(auth.view().begin(), auth.view().end());
}

CryptoResult<void> VerifyPskAuth(const Prf& prf, ByteView shared_secret, ByteView signed_octets,
                                 ByteView received_auth) {
  IKE_ASSIGN_OR_RETURN(Bytes expected, ComputePskAuth(prf, shared_secret, signed_octets));
  if (!ConstantTimeEqual(expected, received_auth)) {
    return CryptoFail(CryptoErrc::kIntegrityCheckFailed, "AUTH payload mismatch");
  }
  return {};
}

}  // namespace ike::crypto
