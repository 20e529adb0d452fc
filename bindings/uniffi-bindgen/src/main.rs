//! `uniffi-bindgen`: generates the Kotlin, Swift and Python sources of `fieldcore-ffi` from a
//! built library (library mode), with the same uniffi version the library's scaffolding uses.
//! A separate crate because a binary cannot link the library's cdylib/staticlib-only target,
//! and the `cli` feature (clap, templates) must stay out of the shipped library.

fn main() {
    uniffi::uniffi_bindgen_main()
}
