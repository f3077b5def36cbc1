//! What a run shows while it runs, on stderr: on a terminal one line that
//! updates in place (counts so far, cases per second, the case finishing),
//! elsewhere (CI logs) one line per result that did not pass.
//!
//! The runner's worker threads call it; a mutex inside keeps lines whole.
//! Writing to stderr can fail (a closed pipe): progress is a courtesy, so
//! such errors are ignored rather than failing the run.

use std::io::{self, IsTerminal, Write};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::suite::{CaseResult, Summary, Verdict};

/// A run shorter than this shows no progress line: it would only flicker.
const QUIET_START: Duration = Duration::from_secs(1);
/// The progress line is redrawn at most this often.
const REDRAW: Duration = Duration::from_millis(50);
/// The progress line is kept within this many characters, so that it never
/// wraps on a common terminal (a wrapped line cannot be redrawn in place).
const WIDTH: usize = 79;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A single line updated in place.
    Terminal,
    /// One line per non-pass result.
    Lines,
    /// Nothing (`--quiet`).
    Quiet,
}

impl ProgressMode {
    /// `Quiet` when asked, else `Terminal` when stderr is one, else `Lines`.
    pub fn detect(quiet: bool) -> ProgressMode {
        if quiet {
            ProgressMode::Quiet
        } else if io::stderr().is_terminal() {
            ProgressMode::Terminal
        } else {
            ProgressMode::Lines
        }
    }
}

/// Progress of a run, shared by the runner's threads.
pub struct Progress {
    mode: ProgressMode,
    state: Mutex<State>,
}

struct State {
    out: Box<dyn Write + Send>,
    total: usize,
    counts: Summary,
    started: Instant,
    last_draw: Option<Instant>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("mode", &self.mode)
            .finish()
    }
}

impl Progress {
    /// Progress on stderr.
    pub fn new(mode: ProgressMode) -> Progress {
        Progress::to_writer(mode, Box::new(io::stderr()))
    }

    /// Progress written to `out` (tests).
    pub fn to_writer(mode: ProgressMode, out: Box<dyn Write + Send>) -> Progress {
        Progress {
            mode,
            state: Mutex::new(State {
                out,
                total: 0,
                counts: Summary::default(),
                started: Instant::now(),
                last_draw: None,
            }),
        }
    }

    /// The run begins, with `total` results to come.
    pub fn start(&self, total: usize) {
        self.start_at(total, Instant::now());
    }

    fn start_at(&self, total: usize, started: Instant) {
        let mut s = self.lock();
        s.total = total;
        s.counts = Summary::default();
        s.started = started;
        s.last_draw = None;
    }

    /// A (case, version) finished.
    pub fn finished(&self, r: &CaseResult) {
        if self.mode == ProgressMode::Quiet {
            return;
        }
        let mut s = self.lock();
        s.counts.add(r.verdict);
        match self.mode {
            ProgressMode::Quiet => {}
            ProgressMode::Lines => {
                if r.verdict != Verdict::Pass {
                    let line = format!(
                        "{:<5} {} @{} ({}): {}\n",
                        r.verdict.as_str().to_uppercase(),
                        r.case,
                        r.version,
                        r.role,
                        r.message.replace('\n', " ")
                    );
                    let _ = s.out.write_all(line.as_bytes());
                }
            }
            ProgressMode::Terminal => {
                let now = Instant::now();
                let elapsed = now.saturating_duration_since(s.started);
                let due = s
                    .last_draw
                    .is_none_or(|t| now.saturating_duration_since(t) >= REDRAW);
                if elapsed >= QUIET_START && due {
                    let line = status_line(&s.counts, s.total, elapsed, r);
                    let _ = write!(s.out, "\r\x1b[2K{line}");
                    let _ = s.out.flush();
                    s.last_draw = Some(now);
                }
            }
        }
    }

    /// The run ended: the progress line is cleared so the report starts on
    /// a clean line.
    pub fn done(&self) {
        let mut s = self.lock();
        if self.mode == ProgressMode::Terminal && s.last_draw.is_some() {
            let _ = s.out.write_all(b"\r\x1b[2K");
            s.last_draw = None;
        }
        let _ = s.out.flush();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A thread that panicked while holding the lock left whole lines
        // behind (each is one write): the state is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `[ 12/80] 10 pass 1 fail 0 warn 1 skip 0 error  3.2/s  del/twice @1.0.0`,
/// the case cut from the left to fit [`WIDTH`].
fn status_line(c: &Summary, total: usize, elapsed: Duration, r: &CaseResult) -> String {
    let done = c.total();
    let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
    let head = format!(
        "[{done:>w$}/{total}] {} pass {} fail {} warn {} skip {} error  {rate:.1}/s  ",
        c.pass,
        c.fail,
        c.warn,
        c.skip,
        c.error,
        w = total.to_string().len()
    );
    let case = format!("{} @{}", r.case, r.version);
    let room = WIDTH.saturating_sub(head.chars().count());
    let n = case.chars().count();
    if n <= room {
        format!("{head}{case}")
    } else {
        let tail: String = case.chars().skip(n - room.saturating_sub(3)).collect();
        format!("{head}...{tail}")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::spec::{Level, Version};
    use crate::suite::Role;

    /// A writer the test can read after the progress wrote to it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn result(case: &str, verdict: Verdict) -> CaseResult {
        CaseResult {
            case: case.to_owned(),
            title: "t".to_owned(),
            version: Version::V1_0_0,
            role: Role::Interface,
            verdict,
            level: Level::Must,
            clauses: vec!["P-DEL-1".to_owned()],
            message: format!("{verdict} message"),
            findings: vec![],
            exchanges: vec![],
            kernel_diff: vec![],
            duration: Duration::from_millis(1),
            kept: None,
            plugin_time: Default::default(),
            answers: None,
            reproduce: String::new(),
        }
    }

    #[test]
    fn lines_name_each_non_pass_result() {
        let out = Shared::default();
        let p = Progress::to_writer(ProgressMode::Lines, Box::new(out.clone()));
        p.start(3);
        p.finished(&result("del/twice", Verdict::Pass));
        p.finished(&result("del/twice", Verdict::Fail));
        p.finished(&result("add/x", Verdict::Skip));
        p.done();
        assert_eq!(
            out.text(),
            "FAIL  del/twice @1.0.0 (interface): fail message\n\
             SKIP  add/x @1.0.0 (interface): skip message\n"
        );
    }

    #[test]
    fn quiet_shows_nothing() {
        let out = Shared::default();
        let p = Progress::to_writer(ProgressMode::Quiet, Box::new(out.clone()));
        p.start(1);
        p.finished(&result("del/twice", Verdict::Fail));
        p.done();
        assert_eq!(out.text(), "");
    }

    #[test]
    fn terminal_line_only_after_a_second_and_cleared_at_the_end() {
        let out = Shared::default();
        let p = Progress::to_writer(ProgressMode::Terminal, Box::new(out.clone()));
        p.start(2);
        p.finished(&result("del/twice", Verdict::Pass));
        p.done();
        assert_eq!(out.text(), "", "a short run shows no progress line");

        let out = Shared::default();
        let p = Progress::to_writer(ProgressMode::Terminal, Box::new(out.clone()));
        let long_ago = Instant::now().checked_sub(Duration::from_secs(2)).unwrap();
        p.start_at(2, long_ago);
        p.finished(&result("del/twice", Verdict::Fail));
        p.done();
        let text = out.text();
        assert!(text.starts_with("\r\x1b[2K[1/2] 0 pass 1 fail"), "{text:?}");
        assert!(text.contains("del/twice @1.0.0"), "{text:?}");
        assert!(text.ends_with("\r\x1b[2K"), "{text:?}");
    }

    #[test]
    fn threads_share_one_progress() {
        let out = Shared::default();
        let p = Arc::new(Progress::to_writer(
            ProgressMode::Lines,
            Box::new(out.clone()),
        ));
        p.start(40);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                let p = Arc::clone(&p);
                scope.spawn(move || {
                    for _ in 0..10 {
                        p.finished(&result("del/twice", Verdict::Warn));
                    }
                });
            }
        });
        p.done();
        let text = out.text();
        assert_eq!(text.lines().count(), 40);
        assert!(
            text.lines()
                .all(|l| l == "WARN  del/twice @1.0.0 (interface): warn message")
        );
    }

    #[test]
    fn the_status_line_fits() {
        let long = "a/".repeat(60);
        let line = status_line(
            &Summary::default(),
            100,
            Duration::from_secs(2),
            &result(&long, Verdict::Pass),
        );
        assert_eq!(line.chars().count(), WIDTH, "{line}");
        assert!(line.ends_with("@1.0.0"), "{line}");
    }
}
