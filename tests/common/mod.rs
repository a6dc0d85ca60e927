//! Helpers shared by the end-to-end tests.

/// A temporary project holding `files` (paths relative to its root, with their text);
/// directories are created as needed. The project is deleted when the value is dropped.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}
