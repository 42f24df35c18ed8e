//! The single-threaded discrete-event engine: clock, event queue, stations and requests. No I/O, no threads.
