//! Phase timings of the allocation kernel for profiling: built with the `profile` feature,
//! each [`mark`] records the time since the previous mark (or [`start`]), and the next
//! [`start`] prints the round's records to stderr; without
//! it both compile to nothing. `cargo run --release --features
//! profile --example profile_allocate` shows where a round spends its time.

#[cfg(feature = "profile")]
mod timer {
    use std::cell::{Cell, RefCell};
    use std::time::Instant;

    thread_local! {
        static LAST: Cell<Option<Instant>> = const { Cell::new(None) };
        static MARKS: RefCell<Vec<(String, f64)>> = const { RefCell::new(Vec::new()) };
    }

    /// Print the last round's phases (printing while timing would add to every phase).
    pub fn start() {
        MARKS.with(|marks| {
            for (phase, ms) in marks.borrow_mut().drain(..) {
                eprintln!("{phase:>16} {ms:7.3} ms");
            }
        });
        LAST.with(|last| last.set(Some(Instant::now())));
    }

    pub fn mark(phase: &str) {
        LAST.with(|last| {
            let now = Instant::now();
            if let Some(before) = last.get() {
                let ms = (now - before).as_secs_f64() * 1e3;
                MARKS.with(|marks| marks.borrow_mut().push((phase.to_string(), ms)));
            }
            last.set(Some(now));
        });
    }
}

/// Start timing a round.
#[inline(always)]
pub fn start() {
    #[cfg(feature = "profile")]
    timer::start();
}

/// End a phase: print its name and the time since the last mark.
#[inline(always)]
pub fn mark(_phase: &str) {
    #[cfg(feature = "profile")]
    timer::mark(_phase);
}
