//! Interrupts: Ctrl-C (SIGINT), and on Unix SIGTERM (`kill`, `timeout`, a
//! service manager stopping the job) and SIGHUP (the terminal closed), all
//! handled alike: the command stops cleanly, as for Ctrl-C.

/// The interrupt signals, their handlers registered when made (from then
/// on they no longer end the process: the command decides).
#[cfg(unix)]
pub struct Interrupts {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Interrupts {
    pub fn new() -> std::io::Result<Interrupts> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Interrupts {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for the next interrupt (SIGINT, SIGTERM or SIGHUP); false if
    /// none can come.
    pub async fn next(&mut self) -> bool {
        tokio::select! {
            got = self.int.recv() => got.is_some(),
            got = self.term.recv() => got.is_some(),
            got = self.hup.recv() => got.is_some(),
        }
    }
}

/// Ctrl-C, where there are no Unix signals.
#[cfg(not(unix))]
pub struct Interrupts;

#[cfg(not(unix))]
impl Interrupts {
    pub fn new() -> std::io::Result<Interrupts> {
        Ok(Interrupts)
    }

    /// Waits for the next Ctrl-C; false if none can come.
    pub async fn next(&mut self) -> bool {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// The failure of a command that cannot watch for interrupts.
pub fn cannot_watch(error: std::io::Error) -> crate::Failure {
    crate::Failure::new(
        crate::exit::OTHER,
        format!("cannot watch for Ctrl-C and other interrupts: {error}."),
    )
}
