//! Compiles the plugin protocol definitions in `proto/` with tonic/prost. protoc comes from the
//! `protoc-bin-vendored` crate, so building needs no system package.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let include = protoc_bin_vendored::include_path()?;
    // SAFETY: build scripts run single-threaded; prost-build reads PROTOC from the environment.
    unsafe { std::env::set_var("PROTOC", protoc) };

    println!("cargo:rerun-if-changed=proto");
    let protos: Vec<PathBuf> = [
        "proto/tfplugin6.proto",
        "proto/plugin/grpc_controller.proto",
        "proto/plugin/grpc_stdio.proto",
        "proto/plugin/grpc_broker.proto",
    ]
    .into_iter()
    .map(PathBuf::from)
    .collect();
    tonic_prost_build::configure()
        .build_server(true)
        // Clients are generated for the protocol-level tests; they need no transport feature.
        .build_client(true)
        .build_transport(false)
        // Methods we do not implement answer Unimplemented, as Terraform expects of a provider
        // that does not advertise those features.
        .generate_default_stubs(true)
        .compile_protos(&protos, &[PathBuf::from("proto"), include])?;
    Ok(())
}
