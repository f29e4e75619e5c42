// asyncReadDrained(), asyncReadLazy(), asyncPeekByte(): socket reads that tell Asio's epoll
// reactor when the socket is drained.
//
// Asio 1.81 (Debian bookworm) treats a read as "exhausted" only at EOF, so after every ordinary
// read its next read on the socket is tried at once and fails with EAGAIN, and its alternative,
// async_wait, re-arms the descriptor with epoll_ctl every time. Either costs a syscall per read
// on the proxy's hot path (two per request). On a stream socket a read that returns fewer bytes
// than it asked for has emptied the kernel's receive queue; these operations report that to the
// reactor, which then queues the next read until the edge-triggered epoll says the socket is
// readable again: no EAGAIN, no epoll_ctl.
//
// asyncReadLazy() asks a ReadTarget for its buffer only when bytes are there to read, and
// gives it back when the read would block (a stale readiness edge): a keep-alive connection
// waiting for its next request holds no read buffer, and pays no syscall to wait.
//
// They build on Asio's reactor interface (detail namespace, pinned by Boost 1.81); the build
// checks the reactor is epoll. Per-operation cancellation (the awaitable operators) and
// socket.cancel()/close() work as for async_read_some.
// Entry points: asyncReadDrained, asyncReadLazy, asyncPeekByte, ReadTarget.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>

#if !defined(BOOST_ASIO_HAS_EPOLL) || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#error "meshproxy's asyncReadDrained needs Asio's epoll reactor"
#endif

namespace meshc::proxy {

/// Supplies asyncReadLazy()'s buffer when there are bytes to read (on the reactor's thread).
class ReadTarget {
 public:
  virtual boost::asio::mutable_buffer acquire() = 0;
  /// The read would block after all: the buffer acquire() gave is not needed yet.
  virtual void release() = 0;

 protected:
  ~ReadTarget() = default;
};

namespace drained_detail {

namespace asio = boost::asio;
namespace ad = boost::asio::detail;
using boost::system::error_code;
using tcp = asio::ip::tcp;

/// The socket's implementation (descriptor, state, reactor registration): basic_socket keeps it
/// protected; a pointer to member named through a derived class reaches it legally.
struct SocketAccess : tcp::socket {
  static auto& impl(tcp::socket& s) { return s.*(&SocketAccess::impl_); }
};

class Cancellation {
 public:
  Cancellation(ad::epoll_reactor* r, ad::epoll_reactor::per_descriptor_data* p, int d)
      : reactor_(r), data_(p), descriptor_(d) {}
  void operator()(asio::cancellation_type_t type) {
    if (!!(type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                   asio::cancellation_type::total))) {
      reactor_->cancel_ops_by_key(descriptor_, *data_, ad::epoll_reactor::read_op, this);
    }
  }

 private:
  ad::epoll_reactor* reactor_;
  ad::epoll_reactor::per_descriptor_data* data_;
  int descriptor_;
};

template <typename Handler, typename IoExecutor>
class DrainedReadOp : public ad::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(DrainedReadOp);

  DrainedReadOp(int fd, asio::mutable_buffer buffer, ReadTarget* target, int flags,
                size_t min_bytes, Handler& handler, const IoExecutor& io_ex)
      : ad::reactor_op(error_code(), &DrainedReadOp::perform, &DrainedReadOp::complete),
        fd_(fd),
        flags_(flags),
        min_bytes_(min_bytes),
        buffer_(buffer),
        target_(target),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status perform(ad::reactor_op* base) {
    auto* o = static_cast<DrainedReadOp*>(base);
    asio::mutable_buffer buffer = o->target_ != nullptr ? o->target_->acquire() : o->buffer_;
    for (;;) {
      ssize_t n = ::recv(o->fd_, buffer.data(), buffer.size(), o->flags_);
      if (n > 0 && static_cast<size_t>(n) < o->min_bytes_ && static_cast<size_t>(n) < buffer.size()) {
        // A peek for more than is queued: wait for the next edge (more bytes). A peek never
        // reports the FIN or reset behind queued bytes, and its edge is spent: when the peer
        // has hung up, complete now with what there is (the caller sees fewer than asked).
        pollfd p{o->fd_, POLLRDHUP, 0};
        if (::poll(&p, 1, 0) <= 0 || (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0) {
          return not_done;
        }
      }
      if (n > 0) {
        o->bytes_transferred_ = static_cast<size_t>(n);
        // Fewer bytes than asked: the receive queue is empty (the point of this operation).
        // A peek leaves what it saw in the queue.
        bool drained = o->bytes_transferred_ < buffer.size() && (o->flags_ & MSG_PEEK) == 0;
        return drained ? done_and_exhausted : done;
      }
      if (n == 0) {
        o->bytes_transferred_ = 0;
        o->ec_ = asio::error::eof;
        return done_and_exhausted;
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (o->target_ != nullptr) {
          o->target_->release();
        }
        return not_done;
      }
      o->ec_ = error_code(errno, asio::error::get_system_category());
      return done;
    }
  }

  static void complete(void* owner, ad::operation* base, const error_code&, std::size_t) {
    auto* o = static_cast<DrainedReadOp*>(base);
    ptr p = {ad::addressof(o->handler_), o, o};
    ad::handler_work<Handler, IoExecutor> w(std::move(o->work_));
    // The handler is moved out before the operation's memory is released (it may own it).
    ad::binder2<Handler, error_code, std::size_t> handler(o->handler_, o->ec_,
                                                          o->bytes_transferred_);
    p.h = ad::addressof(handler.handler_);
    p.reset();
    if (owner) {
      ad::fenced_block b(ad::fenced_block::half);
      w.complete(handler, handler.handler_);
    }
  }

 private:
  int fd_;
  int flags_;
  size_t min_bytes_;
  asio::mutable_buffer buffer_;
  ReadTarget* target_;
  Handler handler_;
  ad::handler_work<Handler, IoExecutor> work_;
};

// The socket's reactor. Looked up each time (a short locked list walk): a cache keyed by the
// context's address could outlive its context and meet a new one at the same address.
inline ad::epoll_reactor& reactorOf(asio::execution_context& context) {
  return asio::use_service<ad::epoll_reactor>(context);
}

struct Initiate {
  tcp::socket* socket;
  int flags = 0;
  ReadTarget* target = nullptr;
  size_t min_bytes = 0;  // MSG_PEEK: complete only once this many bytes are queued
  template <typename Handler>
  void operator()(Handler&& handler, asio::mutable_buffer buffer) const {
    using H = std::decay_t<Handler>;
    using Executor = tcp::socket::executor_type;
    using Op = DrainedReadOp<H, Executor>;
    auto& io_impl = SocketAccess::impl(*socket);
    auto& impl = io_impl.get_implementation();
    ad::epoll_reactor& reactor = reactorOf(asio::query(io_impl.get_executor(),
                                                       asio::execution::context));
    H h(std::forward<Handler>(handler));
    bool is_continuation = boost_asio_handler_cont_helpers::is_continuation(h);
    auto slot = asio::get_associated_cancellation_slot(h);
    typename Op::ptr p = {ad::addressof(h), Op::ptr::allocate(h), 0};
    p.p = new (p.v) Op(impl.socket_, buffer, target, flags, min_bytes, h, io_impl.get_executor());
    if (slot.is_connected()) {
      p.p->cancellation_key_ =
          &slot.template emplace<Cancellation>(&reactor, &impl.reactor_data_, impl.socket_);
    }
    error_code ec;
    if ((impl.state_ & ad::socket_ops::non_blocking) == 0 &&
        !ad::socket_ops::set_internal_non_blocking(impl.socket_, impl.state_, true, ec)) {
      p.p->ec_ = ec;
      reactor.post_immediate_completion(p.p, is_continuation);
    } else {
      reactor.start_op(ad::epoll_reactor::read_op, impl.socket_, impl.reactor_data_, p.p,
                       is_continuation, true);
    }
    p.v = p.p = 0;
  }
};

}  // namespace drained_detail

/// As socket.async_read_some(buffer, token), and the reactor learns when the socket is drained.
template <typename Token>
auto asyncReadDrained(boost::asio::ip::tcp::socket& socket, boost::asio::mutable_buffer buffer,
                      Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
      drained_detail::Initiate{&socket}, token, buffer);
}

/// Completes when a byte (or EOF, or an error) can be read, leaving the byte in the socket:
/// a MSG_PEEK read, queued without a syscall when the reactor knows the socket is drained and
/// tried at most once otherwise. For a socket nothing should arrive on (an idle pooled
/// connection), it completes only when something did arrive.
template <typename Token>
auto asyncPeekByte(boost::asio::ip::tcp::socket& socket, char* byte, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
      drained_detail::Initiate{&socket, MSG_PEEK}, token, boost::asio::mutable_buffer(byte, 1));
}

/// Completes once at least `min_bytes` bytes (or all of `buffer`) are queued on the socket, or
/// when the peer has hung up (then with fewer), or at EOF or an error, with the bytes copied
/// into `buffer` and left in the socket (MSG_PEEK):
/// the listener filters' look at a connection's first bytes (TLS and HTTP inspectors). While
/// fewer are queued it waits for the next readiness edge instead of polling.
template <typename Token>
auto asyncPeekAtLeast(boost::asio::ip::tcp::socket& socket, boost::asio::mutable_buffer buffer,
                      size_t min_bytes, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
      drained_detail::Initiate{&socket, MSG_PEEK, nullptr, min_bytes}, token, buffer);
}

/// As asyncReadDrained into the buffer `target` gives when bytes are there to read; see above.
template <typename Token>
auto asyncReadLazy(boost::asio::ip::tcp::socket& socket, ReadTarget& target, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
      drained_detail::Initiate{&socket, 0, &target}, token, boost::asio::mutable_buffer());
}

}  // namespace meshc::proxy
