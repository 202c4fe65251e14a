// SHA-256 against the FIPS 180-2 / NIST example vectors.
#include <catch2/catch.hpp>

#include "support/sha256.hpp"

using anec::Sha256;
using anec::sha256Hex;

TEST_CASE("sha256: the standard test vectors", "[ane][sha256]") {
    CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // 448 bits: the padding needs a second block.
    CHECK(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("sha256: incremental updates equal one update; a million 'a'", "[ane][sha256]") {
    Sha256 pieces;
    std::string chunk(1000, 'a');
    for (int i = 0; i < 1000; ++i)
        pieces.update(chunk);
    CHECK(Sha256::hex(pieces.digest()) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    // Split at every position of a 130-byte message (crossing two block boundaries).
    std::string message;
    for (int i = 0; i < 130; ++i)
        message += static_cast<char>('A' + i % 50);
    std::string whole = sha256Hex(message);
    for (size_t split = 0; split <= message.size(); ++split) {
        Sha256 hash;
        hash.update(std::string_view(message).substr(0, split));
        hash.update(std::string_view(message).substr(split));
        CHECK(Sha256::hex(hash.digest()) == whole);
    }
    CHECK(sha256Hex("abd") != sha256Hex("abc"));
}
