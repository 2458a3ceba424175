//! Types the models in `replicate/` into `$OUT_DIR/replicate_models.rs` (see `src/main.rs`).

fn main() {
    replicate_build::compile_models("replicate").unwrap();
}
