//! Generates the crossbar.v1 messages, clients and servers from `schemas/crossbar.proto` with
//! tonic-prost-build. protoc comes from `$PROTOC` when set, else from `PATH`
//! (`deploy/setup.sh` installs Debian's `protobuf-compiler`).

use std::path::{Path, PathBuf};

const PROTO_DIR: &str = "../../../schemas";
const PROTO_FILE: &str = "../../../schemas/crossbar.proto";

fn main() {
    println!("cargo:rerun-if-changed={PROTO_FILE}");
    println!("cargo:rerun-if-env-changed=PROTOC");
    let protoc = match find_protoc() {
        Ok(path) => path,
        Err(reason) => {
            eprintln!("API_BUILD_NO_PROTOC {reason}");
            eprintln!(
                "crossbar-api needs protoc (the Protocol Buffers compiler) to build \
                 schemas/crossbar.proto: run deploy/setup.sh as root (it installs Debian's \
                 protobuf-compiler) or set PROTOC=/path/to/protoc"
            );
            std::process::exit(1);
        }
    };
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(&protoc);
    if let Err(e) = tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_with_config(config, &[PROTO_FILE], &[PROTO_DIR])
    {
        eprintln!(
            "API_BUILD_PROTOC_FAILED protoc={} proto={PROTO_FILE} reason={e}",
            protoc.display()
        );
        std::process::exit(1);
    }
}

/// `$PROTOC` if set (it must name an existing file), else the first `protoc` on `PATH`.
fn find_protoc() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("PROTOC") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("PROTOC={} is not a file", path.display()))
        };
    }
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path_var)
        .map(|dir| dir.join("protoc"))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| "protoc not found on PATH and PROTOC not set".to_owned())
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
