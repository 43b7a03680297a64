//! A TCP relay in front of the test database that can be told to let the next connections hang:
//! accepted, then never answered, the way a database behind a stuck network looks to the worker.
//! Tests use it to show that a hanging connection costs a bounded wait and the retries still run.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct DbProxy {
    pub port: u16,
    hang_next: Arc<AtomicUsize>,
    relay: JoinHandle<()>,
}

impl DbProxy {
    /// Relays 127.0.0.1:{port} to 127.0.0.1:{target_port}.
    pub async fn start(target_port: u16) -> DbProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hang_next = Arc::new(AtomicUsize::new(0));
        let hang = hang_next.clone();
        let relay = tokio::spawn(async move {
            let mut hanging = Vec::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let take = |n: usize| n.checked_sub(1);
                if hang
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, take)
                    .is_ok()
                {
                    // Held open and never read: the client waits for an answer that never comes.
                    hanging.push(inbound);
                    continue;
                }
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target_port)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        DbProxy {
            port,
            hang_next,
            relay,
        }
    }

    /// The next `count` connections are accepted and then left hanging.
    pub fn hang_next(&self, count: usize) {
        self.hang_next.store(count, Ordering::SeqCst);
    }

    /// How many of the connections told to hang have not come yet.
    pub fn still_to_hang(&self) -> usize {
        self.hang_next.load(Ordering::SeqCst)
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.relay.abort();
    }
}
