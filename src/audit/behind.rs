//! Writing behind: a [`Write`] that hands full blocks to a thread of its own, so the thread
//! producing the output does not wait in `write` calls (copying into the page cache, and the
//! file system's work, happen meanwhile on the other core).

use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Bytes collected before a block is handed over.
const BLOCK: usize = 256 << 10;

/// Blocks handed over and not yet written back, at most (bounds memory).
const IN_FLIGHT: usize = 3;

enum Msg {
    Write(Vec<u8>),
    Flush,
}

/// A writer whose writes happen on a background thread, in order. Errors come back from a
/// later `write` or from `flush`; call `flush` at the end to know that everything was written.
pub struct WriteBehind {
    buf: Vec<u8>,
    to_io: Option<SyncSender<Msg>>,
    /// Emptied blocks (or the error that stopped the thread), one per message sent.
    from_io: Receiver<io::Result<Vec<u8>>>,
    in_flight: usize,
    spare: Vec<Vec<u8>>,
    io: Option<JoinHandle<()>>,
}

impl WriteBehind {
    /// Starts a thread writing to `w`.
    pub fn new<W: Write + Send + 'static>(mut w: W) -> io::Result<WriteBehind> {
        let (to_io, rx) = mpsc::sync_channel::<Msg>(IN_FLIGHT);
        let (tx, from_io) = mpsc::sync_channel(IN_FLIGHT + 1);
        let io = std::thread::Builder::new().name("write-behind".into()).spawn(move || {
            for msg in rx {
                let done = match msg {
                    Msg::Write(mut block) => w.write_all(&block).map(|()| {
                        block.clear();
                        block
                    }),
                    Msg::Flush => w.flush().map(|()| Vec::new()),
                };
                let failed = done.is_err();
                if tx.send(done).is_err() || failed {
                    return;
                }
            }
        })?;
        Ok(WriteBehind { buf: Vec::with_capacity(BLOCK), to_io: Some(to_io), from_io, in_flight: 0, spare: Vec::new(), io: Some(io) })
    }

    /// Takes back one block from the thread, waiting for it.
    fn take_back(&mut self) -> io::Result<()> {
        let block = self.from_io.recv().map_err(|_| gone())??;
        self.in_flight -= 1;
        if block.capacity() > 0 {
            self.spare.push(block);
        }
        Ok(())
    }

    fn send(&mut self, msg: Msg) -> io::Result<()> {
        while self.in_flight >= IN_FLIGHT {
            self.take_back()?;
        }
        if self.to_io.as_ref().ok_or_else(gone)?.send(msg).is_err() {
            return Err(self.failure());
        }
        self.in_flight += 1;
        Ok(())
    }

    /// Why the thread stopped: the error it sent back, if any.
    fn failure(&mut self) -> io::Error {
        self.from_io.try_iter().find_map(Result::err).unwrap_or_else(gone)
    }

    fn hand_over(&mut self) -> io::Result<()> {
        while let Ok(block) = self.from_io.try_recv() {
            self.in_flight -= 1;
            self.spare.push(block?);
        }
        let next = self.spare.pop().unwrap_or_else(|| Vec::with_capacity(BLOCK));
        let block = std::mem::replace(&mut self.buf, next);
        self.send(Msg::Write(block))
    }
}

/// The writing thread stopped without saying why (it panicked).
fn gone() -> io::Error {
    io::Error::other("the output thread stopped")
}

impl Write for WriteBehind {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= BLOCK {
            self.hand_over()?;
        }
        Ok(data.len())
    }

    /// Hands over what is collected, and waits until the thread has written and flushed all.
    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.hand_over()?;
        }
        self.send(Msg::Flush)?;
        while self.in_flight > 0 {
            self.take_back()?;
        }
        Ok(())
    }
}

impl Drop for WriteBehind {
    /// Writes what is left (errors cannot be reported here: flush first to see them).
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let _ = self.hand_over();
        }
        self.to_io = None;
        if let Some(io) = self.io.take() {
            let _ = io.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Collects what is written, or fails after some bytes.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>, Option<usize>);

    impl Write for Shared {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            let mut v = self.0.lock().unwrap();
            if self.1.is_some_and(|limit| v.len() + data.len() > limit) {
                return Err(io::Error::other("disk full"));
            }
            v.extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn writes_everything_in_order() {
        let out = Shared::default();
        let mut w = WriteBehind::new(out.clone()).unwrap();
        let mut want = Vec::new();
        for i in 0..200_000u32 {
            let line = format!("{i},some text\n");
            w.write_all(line.as_bytes()).unwrap();
            want.extend_from_slice(line.as_bytes());
        }
        w.flush().unwrap();
        assert_eq!(*out.0.lock().unwrap(), want);
        w.write_all(b"after flush\n").unwrap();
        drop(w);
        assert!(out.0.lock().unwrap().ends_with(b"after flush\n"));
    }

    #[test]
    fn reports_write_errors() {
        let out = Shared(Arc::default(), Some(BLOCK * 2));
        let mut w = WriteBehind::new(out).unwrap();
        let chunk = vec![b'x'; 1000];
        let mut failed = None;
        for _ in 0..10_000 {
            if let Err(e) = w.write_all(&chunk) {
                failed = Some(e);
                break;
            }
        }
        let e = failed.or_else(|| w.flush().err()).expect("the error comes back");
        assert_eq!(e.to_string(), "disk full");
    }
}
