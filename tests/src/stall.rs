//! A TCP proxy that stalls: it forwards loopback connections to HQ, but while it is holding,
//! a request's bytes wait in the proxy until the test releases them, like a phone on one bar
//! of signal whose request hangs for seconds. The test learns when a request is being held
//! (so it knows a sync is in flight) without sleeping, then measures what the app can do
//! meanwhile, and releases.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct Hold {
    holding: bool,
    /// Requests (first bytes of a connection's next read) that waited in the proxy.
    held: u32,
    stop: bool,
}

type Shared = Arc<(Mutex<Hold>, Condvar)>;

pub struct StallingProxy {
    addr: SocketAddr,
    shared: Shared,
    thread: Option<JoinHandle<()>>,
}

impl StallingProxy {
    /// Listens on a free loopback port and forwards to `target`, holding from the start.
    pub fn start(target: SocketAddr) -> std::io::Result<StallingProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared: Shared = Arc::new((
            Mutex::new(Hold {
                holding: true,
                ..Hold::default()
            }),
            Condvar::new(),
        ));
        let accept_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("stalling-proxy".into())
            .spawn(move || {
                for client in listener.incoming() {
                    if lock(&accept_shared).stop {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    let Ok(server) = TcpStream::connect(target) else {
                        continue;
                    };
                    relay(client, server, accept_shared.clone());
                }
            })?;
        Ok(StallingProxy {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until a request is being held, at most `bound`; false if none came.
    pub fn wait_for_held_request(&self, bound: Duration) -> bool {
        let (state, signal) = &*self.shared;
        let until = Instant::now() + bound;
        let mut hold = state.lock().unwrap_or_else(PoisonError::into_inner);
        while hold.held == 0 {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            hold = signal
                .wait_timeout(hold, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Lets every held request through, and every later one.
    pub fn release(&self) {
        lock(&self.shared).holding = false;
        self.shared.1.notify_all();
    }
}

impl Drop for StallingProxy {
    fn drop(&mut self) {
        {
            let mut hold = lock(&self.shared);
            hold.stop = true;
            hold.holding = false;
        }
        self.shared.1.notify_all();
        // Wakes the accept loop so it sees `stop`.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Hold> {
    shared.0.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Copies both directions on threads of their own; the device-to-HQ direction waits while the
/// proxy is holding.
fn relay(client: TcpStream, server: TcpStream, shared: Shared) {
    let (Ok(client_read), Ok(server_read)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let upstream = shared.clone();
    let _ = std::thread::Builder::new().spawn(move || {
        copy(client_read, server, Some(upstream));
    });
    let _ = std::thread::Builder::new().spawn(move || {
        copy(server_read, client, None);
    });
}

fn copy(mut from: TcpStream, mut to: TcpStream, hold: Option<Shared>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(shared) = &hold {
            let (state, signal) = &**shared;
            let mut h = state.lock().unwrap_or_else(PoisonError::into_inner);
            if h.holding {
                h.held += 1;
                signal.notify_all();
                while h.holding {
                    h = signal.wait(h).unwrap_or_else(PoisonError::into_inner);
                }
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
