//! Generates the SBE codecs for `schemas/crossbar.xml` into `OUT_DIR/crossbar_sbe.rs`.

fn main() -> ergo_sbe::miette::Result<()> {
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/crossbar.xml");
    println!("cargo:rerun-if-changed={schema}");
    println!("cargo:rerun-if-changed=build.rs");
    ergo_sbe::generate_to_out_dir(schema, ergo_sbe::GenerationConfig::new("crossbar_sbe"))?;
    Ok(())
}
