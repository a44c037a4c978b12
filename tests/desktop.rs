//! The integration tests that start a desktop session of their own: a real sound server
//! (PulseAudio or PipeWire with null sinks), a private D-Bus with a notification server, a
//! systemd user manager, and the daemon live on them. A binary of its own, so these timing-
//! bound tests never share the machine with the rest of the suite.

mod common;

mod bubble_screenshot;
mod live_daemon;
mod sound_server;
mod systemd_sandbox;
