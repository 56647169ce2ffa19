//! Raw TCP sockets and DNS look-ups: refused unless granted.
//!
//! Most connectors need only outbound HTTP, which goes through the checked
//! path in [`http`](super::http). A connector that speaks another protocol
//! (a database, an SMTP server) needs a raw TCP connection: the operator
//! grants exact `IP:PORT` addresses with `--allow-tcp`. Listening, UDP and
//! connecting anywhere else stay refused. DNS look-ups from the guest are a
//! separate grant (`--allow-dns`), since a look-up leaks data to the
//! resolver even when no connection follows.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context, Result};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::sockets::SocketAddrUse;

/// One TCP address a guest may connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpGrant(pub SocketAddr);

impl FromStr for TcpGrant {
    type Err = anyhow::Error;

    fn from_str(spec: &str) -> Result<Self> {
        spec.trim().parse().map(TcpGrant).with_context(|| {
            format!("TCP grant {spec:?} is not IP:PORT (e.g. 127.0.0.1:5432 or [::1]:5432)")
        })
    }
}

/// Applies socket grants to a WASI context: nothing when there are none.
pub fn apply(tcp: &[TcpGrant], dns: bool, wasi: &mut WasiCtxBuilder) {
    wasi.allow_ip_name_lookup(dns);
    wasi.allow_udp(false);
    if tcp.is_empty() {
        wasi.allow_tcp(false);
        return;
    }
    wasi.allow_tcp(true);
    let allowed: Arc<Vec<SocketAddr>> = Arc::new(tcp.iter().map(|g| g.0).collect());
    wasi.socket_addr_check(move |addr, use_| {
        let ok = match use_ {
            SocketAddrUse::TcpConnect => allowed.contains(&addr),
            // `connect` first binds to the wildcard address on an ephemeral
            // port; that implicit bind is all the binding a client needs.
            SocketAddrUse::TcpBind => addr.ip().is_unspecified() && addr.port() == 0,
            _ => false,
        };
        Box::pin(async move { ok })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_grants_are_exact_addresses() {
        assert_eq!(
            "127.0.0.1:5432".parse::<TcpGrant>().unwrap().0,
            "127.0.0.1:5432".parse().unwrap()
        );
        assert!("[::1]:25".parse::<TcpGrant>().is_ok());
        assert!("db.internal:5432".parse::<TcpGrant>().is_err());
        assert!("127.0.0.1".parse::<TcpGrant>().is_err());
    }
}
