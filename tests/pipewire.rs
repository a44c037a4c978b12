//! The live test on a real PipeWire (pipewire, WirePlumber, pipewire-pulse), in a test binary
//! of its own: run after the other desktop tests in the same process, its pactl setup failed
//! in three full runs out of four (`set-default-sink call_out`), and never when alone, as it
//! was before the test binaries were merged. Why is not known yet.

mod common;

mod live_pipewire;
