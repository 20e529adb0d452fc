//! A TCP proxy for fault tests: it forwards loopback connections to HQ and cuts some of them
//! at a random byte offset, in the request or in the response, like a phone losing signal.
//!
//! Each accepted connection draws, once, whether its device-to-HQ direction is cut and
//! whether its HQ-to-device direction is cut, and after how many bytes. Offsets are
//! log-uniform between 1 byte and 64 KiB, so cuts land in headers, early in a body and deep
//! inside a large one alike. A connection carries every request of a keep-alive session, so
//! the offset counts bytes across them. A cut closes both sockets of the connection at once:
//! the device sees a reset or a short answer, HQ sees a truncated request or a closed peer.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use rand::Rng;

/// How often and where connections are cut.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Chance that a connection's request direction is cut, 0.0 to 1.0.
    pub cut_request: f64,
    /// Chance that a connection's response direction is cut, 0.0 to 1.0.
    pub cut_response: f64,
}

/// Counters shared by the accept loop and the relay threads.
#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    cuts: AtomicU64,
}

pub struct FaultyProxy {
    addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    thread: Option<JoinHandle<()>>,
}

impl FaultyProxy {
    /// Listens on a free loopback port and forwards to `target`.
    pub fn start(target: SocketAddr, faults: Faults) -> std::io::Result<FaultyProxy> {
        for p in [faults.cut_request, faults.cut_response] {
            if !(0.0..=1.0).contains(&p) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "a cut probability is between 0 and 1",
                ));
            }
        }
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let target = Arc::new(Mutex::new(target));
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let (target2, stop2, counters2) = (target.clone(), stop.clone(), counters.clone());
        let thread = std::thread::Builder::new()
            .name("faulty-proxy".into())
            .spawn(move || {
                for client in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    counters2.connections.fetch_add(1, Ordering::SeqCst);
                    let target = *target2.lock().unwrap_or_else(PoisonError::into_inner);
                    let counters = counters2.clone();
                    std::thread::spawn(move || relay(client, target, faults, &counters));
                }
            })?;
        Ok(FaultyProxy {
            addr,
            target,
            stop,
            counters,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`: the URL devices sync to instead of HQ's.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends new connections to another address (HQ restarted on another port).
    pub fn set_target(&self, target: SocketAddr) {
        *self.target.lock().unwrap_or_else(PoisonError::into_inner) = target;
    }

    /// Connections cut so far; a fault test asserts faults really happened.
    pub fn cuts(&self) -> u64 {
        self.counters.cuts.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.counters.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A cut offset: log-uniform between 1 byte and 64 KiB.
fn offset(rng: &mut impl Rng) -> u64 {
    let bits = rng.random_range(0..=16u32);
    let low = 1u64 << bits;
    rng.random_range(low..=low * 2 - 1).min(64 * 1024)
}

fn relay(client: TcpStream, target: SocketAddr, faults: Faults, counters: &Counters) {
    // HQ down (killed): dropping the client's socket closes it, as a refused connection would.
    let Ok(server) = TcpStream::connect(target) else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let mut rng = rand::rng();
    let request_cut = rng
        .random_bool(faults.cut_request)
        .then(|| offset(&mut rng));
    let response_cut = rng
        .random_bool(faults.cut_response)
        .then(|| offset(&mut rng));
    let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let upstream = std::thread::spawn(move || pump(c2, s2, request_cut));
    let down = pump(server, client, response_cut);
    let up = upstream.join().unwrap_or(false);
    if down || up {
        counters.cuts.fetch_add(1, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` until the end, or until `cut_after` bytes, then closes both sides
/// (which also ends the other direction's pump). Returns whether it cut.
fn pump(mut from: TcpStream, mut to: TcpStream, cut_after: Option<u64>) -> bool {
    let mut sent = 0u64;
    let mut buf = [0u8; 8192];
    let close_both = |from: &TcpStream, to: &TcpStream| {
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    };
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => {
                // A clean end of this direction: pass it on, the other direction goes on.
                let _ = to.shutdown(Shutdown::Write);
                return false;
            }
            Ok(n) => n,
            Err(_) => {
                // A reset (or the other pump's cut): make sure the other side is not left
                // waiting for bytes that will never come.
                close_both(&from, &to);
                return false;
            }
        };
        let take = match cut_after {
            Some(limit) if sent + n as u64 >= limit => (limit - sent) as usize,
            _ => n,
        };
        if to.write_all(&buf[..take]).is_err() {
            close_both(&from, &to);
            return false;
        }
        sent += take as u64;
        if cut_after == Some(sent) {
            close_both(&from, &to);
            return true;
        }
    }
}
