// The few cryptographic primitives Miroir needs: HMAC-SHA256 (API keys are
// HMAC(master key, key uid); tenant tokens are HS256 JWTs), base64url, random
// UUIDs and constant-time comparison.
//
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace miroir::crypto {

// Raw 32-byte HMAC-SHA256 digest.
std::string HmacSha256(std::string_view key, std::string_view message);
// Lower-case hex of the HMAC-SHA256 digest.
std::string HmacSha256Hex(std::string_view key, std::string_view message);

std::string HexEncode(std::string_view bytes);

// Base64url without padding (JWT encoding). Decode returns false on bad input.
std::string Base64UrlEncode(std::string_view bytes);
bool Base64UrlDecode(std::string_view text, std::string& out);

// A random RFC 4122 version-4 UUID, lower-case and hyphenated, from the
// operating system's CSPRNG (key uids).
std::string RandomUuidV4();
// The same shape from a per-thread generator seeded once from the CSPRNG:
// unique, not secret, and cheap enough for every search answer's requestUid.
std::string FastUuidV4();
// True when text is a hyphenated UUID (any version), lower or upper case.
bool IsUuid(std::string_view text);

// Compares in time independent of where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace miroir::crypto
