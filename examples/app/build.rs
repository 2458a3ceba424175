fn main() {
    replicate_build::compile_models("replicate").unwrap();
}
