//! Releases as a user receives them: `scripts/release.sh` packs the provider into registry-named
//! archives with a SHA256SUMS file (and a signature when given a key), `scripts/install-provider.sh
//! --from-zip` puts an archive into a filesystem mirror packed, and the real Terraform installs
//! `tether/tether` from that mirror with no network. The archives here hold the debug build
//! (`--binary`): a release build inside the test suite would take minutes.

mod support;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine;
use sha2::{Digest, Sha256};
use support::{PROVIDER_VERSION, REQUIRED_PROVIDERS, Workspace};

const PROVIDER_ADDRESS: &str = "registry.terraform.io/tether/tether";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// This machine's platform in the registry's `<os>_<arch>` spelling.
fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

fn zip_name(platform: &str) -> String {
    format!("terraform-provider-tether_{PROVIDER_VERSION}_{platform}.zip")
}

fn sums_name() -> String {
    format!("terraform-provider-tether_{PROVIDER_VERSION}_SHA256SUMS")
}

fn manifest_name() -> String {
    format!("terraform-provider-tether_{PROVIDER_VERSION}_manifest.json")
}

/// Runs one of the scripts with a clean signing environment plus `env`.
fn script<S: AsRef<OsStr>>(name: &str, args: &[S], env: &[(&str, &OsStr)]) -> Output {
    Command::new(repo_root().join("scripts").join(name))
        .args(args)
        .env_remove("GPG_KEY_ID")
        .env_remove("GPG_PASSPHRASE")
        .env_remove("SOURCE_DATE_EPOCH")
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run scripts/{name}: {e}"))
}

#[track_caller]
fn succeeded(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `scripts/release.sh --binary BINARY --out OUT [extra]`; returns the directory it printed.
fn release(binary: &Path, out: &Path, extra: &[&str], env: &[(&str, &OsStr)]) -> PathBuf {
    let mut args: Vec<&OsStr> = vec![OsStr::new("--binary"), binary.as_os_str(), OsStr::new("--out"), out.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    let printed = succeeded(&script("release.sh", &args, env), "scripts/release.sh");
    PathBuf::from(printed.trim())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn sha256_file(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A SHA256SUMS file in `sha256sum` format (`<hex>  <name>`, sorted by name), as a map.
#[track_caller]
fn parse_sums(text: &str) -> BTreeMap<String, String> {
    let mut sums = BTreeMap::new();
    let mut previous = String::new();
    for line in text.lines() {
        let (hash, name) = line.split_once("  ").unwrap_or_else(|| panic!("not a sha256sum line: {line:?}"));
        assert!(hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()), "bad hash in {line:?}");
        assert!(name > previous.as_str(), "SHA256SUMS is not sorted by file name: {text}");
        previous = name.to_string();
        sums.insert(name.to_string(), hash.to_string());
    }
    sums
}

/// One file inside a zip, as Python's zipfile reads it (python3 is a prerequisite of the scripts).
#[derive(Debug, serde::Deserialize)]
struct ZipEntry {
    name: String,
    mode: u32,
    date_time: Vec<u32>,
    sha256: String,
}

fn zip_entries(zip: &Path) -> Vec<ZipEntry> {
    let output = Command::new("python3")
        .arg("-c")
        .arg(
            "import hashlib, json, sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             print(json.dumps([{'name': i.filename, 'mode': i.external_attr >> 16, 'date_time': list(i.date_time),\n\
               'sha256': hashlib.sha256(z.read(i)).hexdigest()} for i in z.infolist()]))",
        )
        .arg(zip)
        .output()
        .expect("run python3");
    serde_json::from_str(&succeeded(&output, "reading the zip")).expect("zip listing")
}

/// Terraform's `h1:` package hash (Go's dirhash Hash1) of the files a zip unpacks to: the
/// sha256 of the sorted `<sha256>  <name>\n` lines, in base64.
fn h1_of(entries: &[ZipEntry]) -> String {
    let mut lines: Vec<String> = entries.iter().map(|e| format!("{}  {}\n", e.sha256, e.name)).collect();
    lines.sort();
    format!("h1:{}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(lines.concat())))
}

/// The `hashes` a lock file records for the provider.
fn locked_hashes(lock: &str) -> Vec<String> {
    let block = lock
        .split_once(&format!("provider \"{PROVIDER_ADDRESS}\""))
        .unwrap_or_else(|| panic!("no {PROVIDER_ADDRESS} in the lock file:\n{lock}"))
        .1;
    let list = block.split_once("hashes = [").expect("hashes in the lock file").1;
    let list = list.split_once(']').expect("end of hashes").0;
    list.split(',').map(|h| h.trim().trim_matches('"').to_string()).filter(|h| !h.is_empty()).collect()
}

/// A stand-in provider binary, for the tests about packaging rather than Terraform.
fn stub_binary(dir: &Path) -> PathBuf {
    let path = dir.join("terraform-provider-tether");
    std::fs::write(&path, "#!/bin/sh\necho stand-in\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn a_release_archive_installed_packed_is_what_terraform_init_installs_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let platform = host_platform();
    // Packs a copy: the binary under target/ may be rebuilt by another cargo while this runs.
    let binary = tmp.path().join("terraform-provider-tether");
    std::fs::copy(env!("CARGO_BIN_EXE_terraform-provider-tether"), &binary).unwrap();
    let dist = release(&binary, &tmp.path().join("dist"), &[], &[]);
    assert_eq!(dist, tmp.path().join("dist"));

    // The release's files, named as the registry names them; no signature without a key.
    let mut expected = vec![zip_name(&platform), manifest_name(), sums_name()];
    expected.sort();
    assert_eq!(file_names(&dist), expected);

    // SHA256SUMS covers the zip and the manifest, and sha256sum itself accepts it.
    let check = Command::new("sha256sum").arg("-c").arg(sums_name()).current_dir(&dist).output().unwrap();
    let checked = succeeded(&check, "sha256sum -c");
    assert!(checked.contains(&format!("{}: OK", zip_name(&platform))), "{checked}");
    assert!(checked.contains(&format!("{}: OK", manifest_name())), "{checked}");
    let sums = parse_sums(&std::fs::read_to_string(dist.join(sums_name())).unwrap());
    assert_eq!(sums.keys().cloned().collect::<Vec<_>>(), {
        let mut names = vec![zip_name(&platform), manifest_name()];
        names.sort();
        names
    });
    let zip_sha256 = &sums[&zip_name(&platform)];

    // The manifest is the repository's, declaring protocol 6.0.
    let manifest = std::fs::read_to_string(dist.join(manifest_name())).unwrap();
    assert_eq!(manifest, std::fs::read_to_string(repo_root().join("terraform-registry-manifest.json")).unwrap());
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(manifest, serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}}));

    // The zip holds exactly the binary, under the registry's name, executable.
    let zip = dist.join(zip_name(&platform));
    let entries = zip_entries(&zip);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].name, format!("terraform-provider-tether_v{PROVIDER_VERSION}"));
    assert_eq!(entries[0].mode, 0o100755, "regular file, mode 0755");
    assert_eq!(entries[0].sha256, sha256_file(&binary), "the zip holds the packed binary");

    // Installed packed: the archive as released, and no unpacked copy beside it.
    let mirror = support::install_provider(&["--from-zip", zip.to_str().unwrap()], &tmp.path().join("mirror"));
    let provider_dir = mirror.join(PROVIDER_ADDRESS);
    let packed = provider_dir.join(zip_name(&platform));
    assert_eq!(&sha256_file(&packed), zip_sha256);
    assert_eq!(file_names(&provider_dir), vec![zip_name(&platform)]);

    // Terraform finds tether/tether in that mirror alone (the CLI configuration has no other
    // source and excludes it from direct installation) and installs it from the zip.
    let workspace = Workspace::with_mirror(REQUIRED_PROVIDERS, &mirror);
    let init = workspace.terraform(&["init", "-no-color", "-input=false"]);
    init.success();
    assert!(
        init.text().contains(&format!("Installed tether/tether v{PROVIDER_VERSION} (unauthenticated)")),
        "{}",
        init.combined()
    );
    let from_zip = format!("installing {PROVIDER_ADDRESS} v{PROVIDER_VERSION} from {}", packed.display());
    assert!(init.trace_log.contains(&from_zip), "init did not install from the packed archive");

    let version = workspace.terraform(&["version"]);
    version.success();
    assert!(
        version.stdout.contains(&format!("+ provider {PROVIDER_ADDRESS} v{PROVIDER_VERSION}")),
        "{}",
        version.stdout
    );
    let providers = workspace.terraform(&["providers", "-no-color"]);
    providers.success();
    assert!(providers.stdout.contains(&format!("provider[{PROVIDER_ADDRESS}]")), "{}", providers.stdout);

    // The lock file pins that archive. For a filesystem mirror Terraform records only `h1:`, the
    // hash of what the zip unpacks to (`zh:` comes only from a registry's signed SHA256SUMS), so
    // the chain is: lock h1 = the zip's contents, zip = the SHA256SUMS line checked above.
    let lock = workspace.read_file(".terraform.lock.hcl");
    assert!(lock.contains(&format!("version = \"{PROVIDER_VERSION}\"")), "{lock}");
    let h1 = h1_of(&entries);
    assert_eq!(locked_hashes(&lock), vec![h1.clone()], "{lock}");
    // `terraform providers lock -fs-mirror`, which the README gives for locking more platforms,
    // computes the same hash from the packed archive.
    std::fs::remove_file(workspace.path().join(".terraform.lock.hcl")).unwrap();
    let fs_mirror = format!("-fs-mirror={}", mirror.display());
    let platform_arg = format!("-platform={platform}");
    workspace.terraform(&["providers", "lock", "-no-color", &fs_mirror, &platform_arg]).success();
    assert_eq!(locked_hashes(&workspace.read_file(".terraform.lock.hcl")), vec![h1], "providers lock");

    // The unpacked provider runs: executable, reports its version, serves its schema to Terraform.
    let installed = workspace.path().join(format!(
        ".terraform/providers/{PROVIDER_ADDRESS}/{PROVIDER_VERSION}/{platform}/terraform-provider-tether_v{PROVIDER_VERSION}"
    ));
    let mode = std::fs::metadata(&installed).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "unpacked provider is not executable: {mode:o}");
    let reported = succeeded(&Command::new(&installed).arg("--version").output().unwrap(), "--version");
    assert_eq!(reported, format!("terraform-provider-tether {PROVIDER_VERSION}\n"));
    let schema = workspace.terraform(&["providers", "schema", "-json"]);
    schema.success();
    let schema: serde_json::Value = serde_json::from_str(&schema.stdout).expect("providers schema -json");
    let resources = &schema["provider_schemas"][PROVIDER_ADDRESS]["resource_schemas"];
    assert!(resources.get("tether_member_auth_binding").is_some(), "{schema}");

    // The lock guards the mirror: a different archive under the same name is refused.
    let stub_dir = tmp.path().join("stub");
    std::fs::create_dir(&stub_dir).unwrap();
    let other = release(&stub_binary(&stub_dir), &tmp.path().join("other"), &[], &[]);
    std::fs::copy(other.join(zip_name(&platform)), &packed).unwrap();
    std::fs::remove_dir_all(workspace.path().join(".terraform")).unwrap();
    let refused = workspace.terraform(&["init", "-no-color", "-input=false"]);
    refused.failure();
    assert!(
        refused.text().contains("doesn't match any of the checksums previously recorded in the dependency lock file"),
        "{}",
        refused.combined()
    );
}

#[test]
fn release_archives_are_reproducible_and_named_per_platform() {
    let tmp = tempfile::tempdir().unwrap();
    let stub = stub_binary(tmp.path());
    let epoch: (&str, &OsStr) = ("SOURCE_DATE_EPOCH", OsStr::new("1700000000"));
    let first = release(&stub, &tmp.path().join("first"), &["--platform", "linux_arm64"], &[epoch]);
    // A later modification time of the same binary changes nothing in the release.
    let file = std::fs::File::options().write(true).open(&stub).unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(3600)).unwrap();
    drop(file);
    let second = release(&stub, &tmp.path().join("second"), &["--platform", "linux_arm64"], &[epoch]);
    for name in [zip_name("linux_arm64"), sums_name(), manifest_name()] {
        assert_eq!(
            std::fs::read(first.join(&name)).unwrap(),
            std::fs::read(second.join(&name)).unwrap(),
            "{name} differs"
        );
    }
    let entries = zip_entries(&first.join(zip_name("linux_arm64")));
    assert_eq!(entries[0].name, format!("terraform-provider-tether_v{PROVIDER_VERSION}"));
    // 1700000000 is 2023-11-14 22:13:20 UTC.
    assert_eq!(entries[0].date_time, vec![2023, 11, 14, 22, 13, 20]);

    // A Windows archive holds the .exe; a new run into the same directory replaces the old
    // release files, so SHA256SUMS lists only what this run made.
    let windows = release(&stub, &first, &["--platform", "windows_amd64"], &[epoch]);
    let mut expected = vec![zip_name("windows_amd64"), manifest_name(), sums_name()];
    expected.sort();
    assert_eq!(file_names(&windows), expected);
    let entries = zip_entries(&windows.join(zip_name("windows_amd64")));
    assert_eq!(entries[0].name, format!("terraform-provider-tether_v{PROVIDER_VERSION}.exe"));
    let sums = parse_sums(&std::fs::read_to_string(windows.join(sums_name())).unwrap());
    assert_eq!(sums.len(), 2, "{sums:?}");
    assert!(sums.contains_key(&zip_name("windows_amd64")));

    let bad = script("release.sh", &["--binary", stub.to_str().unwrap(), "--platform", "Linux"], &[]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("<os>_<arch>"));
}

/// Kills the gpg-agent the signing test's keyring started, however the test ends.
struct GnupgHome(tempfile::TempDir);

impl Drop for GnupgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf").args(["--kill", "all"]).env("GNUPGHOME", self.0.path()).status();
    }
}

#[test]
fn sha256sums_are_signed_with_the_key_gpg_key_id_names() {
    let tmp = tempfile::tempdir().unwrap();
    let home = GnupgHome(tempfile::tempdir().unwrap());
    let gpg = |args: &[&str]| {
        let output = Command::new("gpg")
            .arg("--batch")
            .args(args)
            .env("GNUPGHOME", home.0.path())
            .stdin(Stdio::null())
            .output()
            .expect("gpg (Debian's gpg package) is needed to test release signing");
        succeeded(&output, &format!("gpg {args:?}"))
    };
    gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        "tether release test <release-test@example.invalid>",
        "ed25519",
        "sign",
        "never",
    ]);
    let listing = gpg(&["--with-colons", "--list-secret-keys"]);
    let fingerprint = listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:").map(|rest| rest.trim_matches(':').to_string()))
        .expect("a fingerprint");

    let env: [(&str, &OsStr); 2] = [("GPG_KEY_ID", fingerprint.as_ref()), ("GNUPGHOME", home.0.path().as_os_str())];
    let dist = release(&stub_binary(tmp.path()), &tmp.path().join("dist"), &[], &env);
    let signature = dist.join(format!("{}.sig", sums_name()));
    assert!(signature.is_file(), "{:?}", file_names(&dist));
    let bytes = std::fs::read(&signature).unwrap();
    assert!(!bytes.starts_with(b"-----BEGIN"), "the registry wants a binary signature, not an armored one");
    let verified = Command::new("gpg")
        .args(["--batch", "--status-fd", "1", "--verify"])
        .arg(&signature)
        .arg(dist.join(sums_name()))
        .env("GNUPGHOME", home.0.path())
        .output()
        .unwrap();
    let status = succeeded(&verified, "gpg --verify");
    assert!(status.contains(&format!("[GNUPG:] VALIDSIG {fingerprint}")), "{status}");
}

#[test]
fn install_from_zip_checks_the_archive_and_keeps_one_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let platform = host_platform();
    let stub = stub_binary(tmp.path());
    let dist = release(&stub, &tmp.path().join("dist"), &[], &[]);
    let zip = dist.join(zip_name(&platform));
    let mirror_arg = tmp.path().join("mirror");
    let provider_dir = mirror_arg.join(PROVIDER_ADDRESS);
    let unpacked = provider_dir
        .join(PROVIDER_VERSION)
        .join(&platform)
        .join(format!("terraform-provider-tether_v{PROVIDER_VERSION}"));

    // Unpacked, then packed, then unpacked again: each install leaves only its own layout, since
    // Terraform would silently prefer an unpacked copy over the archive.
    support::install_provider(&["--binary", stub.to_str().unwrap()], &mirror_arg);
    assert!(unpacked.is_file());
    support::install_provider(&["--from-zip", zip.to_str().unwrap()], &mirror_arg);
    assert_eq!(file_names(&provider_dir), vec![zip_name(&platform)]);
    support::install_provider(&["--binary", stub.to_str().unwrap()], &mirror_arg);
    assert_eq!(file_names(&provider_dir), vec![PROVIDER_VERSION.to_string()]);
    assert!(unpacked.is_file());

    let refused = |args: &[&str], expected: &str| {
        let mut all = args.to_vec();
        let mirror = tmp.path().join("refusals");
        all.extend(["--mirror", mirror.to_str().unwrap()]);
        let output = script("install-provider.sh", &all, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!mirror.join(PROVIDER_ADDRESS).exists(), "{args:?} installed something");
    };
    // An archive that does not match the SHA256SUMS beside it.
    let tampered = tmp.path().join("tampered");
    std::fs::create_dir(&tampered).unwrap();
    std::fs::copy(&zip, tampered.join(zip_name(&platform))).unwrap();
    let sums = std::fs::read_to_string(dist.join(sums_name())).unwrap();
    let wrong = sums.replace(&sha256_file(&zip), &"0".repeat(64));
    std::fs::write(tampered.join(sums_name()), wrong).unwrap();
    refused(
        &["--from-zip", tampered.join(zip_name(&platform)).to_str().unwrap()],
        &format!("but {}", tampered.join(sums_name()).display()),
    );
    // A name Terraform could not read a version and platform from.
    let misnamed = tmp.path().join("terraform-provider-tether.zip");
    std::fs::copy(&zip, &misnamed).unwrap();
    refused(
        &["--from-zip", misnamed.to_str().unwrap()],
        "is not named terraform-provider-tether_<version>_<os>_<arch>.zip",
    );
    // An archive whose binary is for another version than its name says.
    let renamed = tmp.path().join(format!("terraform-provider-tether_9.9.9_{platform}.zip"));
    std::fs::copy(&zip, &renamed).unwrap();
    refused(&["--from-zip", renamed.to_str().unwrap()], "does not hold terraform-provider-tether_v9.9.9");
}

#[test]
fn the_binary_reports_the_version_the_release_is_named_after() {
    let binary = env!("CARGO_BIN_EXE_terraform-provider-tether");
    for flag in ["--version", "-v"] {
        let output = Command::new(binary).arg(flag).env_remove("TF_PLUGIN_MAGIC_COOKIE").output().unwrap();
        assert_eq!(succeeded(&output, flag), format!("terraform-provider-tether {PROVIDER_VERSION}\n"));
    }
    // release.sh and install-provider.sh read the version from Cargo.toml's first `version = `,
    // which must be the one the binary was built with.
    let cargo_toml = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let first = cargo_toml.lines().find_map(|l| l.strip_prefix("version = \"")).expect("a version line");
    assert_eq!(first.trim_end_matches('"'), PROVIDER_VERSION);
    let help = succeeded(&Command::new(binary).arg("--help").output().unwrap(), "--help");
    assert!(help.contains("source = \"tether/tether\""), "{help}");
}
