//! Quiet ends for output piped into a reader that stops early
//! (`connector-host describe --json | head`).
//!
//! Rust ignores `SIGPIPE`, so a write to a closed pipe is an `EPIPE` error,
//! and `println!` turns that into a panic ("failed printing to stdout: Broken
//! pipe", exit 101). For the commands that print a result and end, the
//! conventional Unix behaviour is right: the process ends silently when its
//! reader is gone, as `cat` and `grep` do. Sockets are unaffected: the
//! standard library sends with `MSG_NOSIGNAL`.
//!
//! `run` keeps ignoring the signal: it is a long-running host whose stdout
//! may be an event sink, and a closed sink must be a delivery failure that
//! leaves the trigger state uncommitted, not a signal that skips shutdown.

/// Restores the default action of `SIGPIPE` (end the process quietly).
pub fn end_quietly_on_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: called once at start, before any thread is spawned; setting a
    // signal's disposition to its default has no other precondition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
