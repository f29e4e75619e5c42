// asyncReadDrained(), asyncWaitReadable(): socket reads and waits that tell Asio's epoll reactor
// when the socket is drained.
//
// Asio 1.81 (Debian bookworm) treats a read as "exhausted" only at EOF, so after every ordinary
// read its next read on the socket is tried at once and fails with EAGAIN, and its alternative,
// async_wait, re-arms the descriptor with epoll_ctl every time. Either costs a syscall per read
// on the proxy's hot path (two per request). On a stream socket a read that returns fewer bytes
// than it asked for has emptied the kernel's receive queue; this operation reports that to the
// reactor, which then queues the next read until the edge-triggered epoll says the socket is
// readable again: no EAGAIN, no epoll_ctl. A wait is the same operation with no buffer: it
// completes on the next readiness edge without a syscall of its own (or at once when the reactor
// has not seen the socket drained, so a wait can end early: the read after it copes).
//
// It builds on Asio's reactor interface (detail namespace, pinned by Boost 1.81); the build
// checks the reactor is epoll. Per-operation cancellation (the awaitable operators) and
// socket.cancel()/close() work as for async_read_some.
// Entry points: asyncReadDrained, asyncWaitReadable.
#pragma once

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

  DrainedReadOp(int fd, asio::mutable_buffer buffer, Handler& handler, const IoExecutor& io_ex)
      : ad::reactor_op(error_code(), &DrainedReadOp::perform, &DrainedReadOp::complete),
        fd_(fd),
        buffer_(buffer),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status perform(ad::reactor_op* base) {
    auto* o = static_cast<DrainedReadOp*>(base);
    if (o->buffer_.size() == 0) {
      return done;  // a wait: the reactor calls this when the socket is (or may be) readable
    }
    for (;;) {
      ssize_t n = ::recv(o->fd_, o->buffer_.data(), o->buffer_.size(), 0);
      if (n > 0) {
        o->bytes_transferred_ = static_cast<size_t>(n);
        // Fewer bytes than asked: the receive queue is empty (the point of this operation).
        return o->bytes_transferred_ < o->buffer_.size() ? done_and_exhausted : done;
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
  asio::mutable_buffer buffer_;
  Handler handler_;
  ad::handler_work<Handler, IoExecutor> work_;
};

inline ad::epoll_reactor& reactorOf(asio::execution_context& context) {
  thread_local asio::execution_context* cached_context = nullptr;
  thread_local ad::epoll_reactor* cached = nullptr;
  if (cached_context != &context) {
    cached = &asio::use_service<ad::epoll_reactor>(context);
    cached_context = &context;
  }
  return *cached;
}

struct Initiate {
  tcp::socket* socket;
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
    p.p = new (p.v) Op(impl.socket_, buffer, h, io_impl.get_executor());
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

/// Completes when the socket is readable (or closed), without reading; see above.
template <typename Token>
auto asyncWaitReadable(boost::asio::ip::tcp::socket& socket, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
      drained_detail::Initiate{&socket}, token, boost::asio::mutable_buffer());
}

}  // namespace meshc::proxy
