// A Beast body type for reading a message into a std::string that keeps
// kNodeBodyPadding bytes of spare capacity past its end.
//
// Bodies read by the server (client requests) and by the upstream client
// (node answers) are parsed in place with simdjson, which needs that
// padding; Beast's string_body reserves exactly the Content-Length, so each
// parse would first reallocate and copy the whole body. string_body also
// zero-fills (resize) before copying every chunk in; this appends instead.
//
// Internal to miroir_http. Read-only: it has no writer.
#pragma once

#include <cstdint>
#include <string>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional/optional.hpp>

#include "miroir/core/node_result.hpp"

namespace miroir::http::detail {

struct PaddedStringBody {
  using value_type = std::string;

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      ec = {};
      if (!length) return;
      if (*length > body_.max_size() - kNodeBodyPadding) {
        ec = boost::beast::http::error::buffer_overflow;
        return;
      }
      body_.reserve(static_cast<size_t>(*length) + kNodeBodyPadding);
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      const std::size_t n = boost::beast::buffer_bytes(buffers);
      if (n > body_.max_size() - body_.size()) {
        ec = boost::beast::http::error::buffer_overflow;
        return 0;
      }
      ec = {};
      for (const auto b : boost::beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
      }
      return n;
    }

    // A chunked body grew without a known length: add the padding now.
    void finish(boost::beast::error_code& ec) {
      ec = {};
      if (body_.capacity() - body_.size() < kNodeBodyPadding) {
        body_.reserve(body_.size() + kNodeBodyPadding);
      }
    }

   private:
    value_type& body_;
  };
};

}  // namespace miroir::http::detail
