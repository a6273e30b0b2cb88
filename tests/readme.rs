//! The README's tour, run line by line as a user would type it, so that the
//! commands it shows keep working.

use std::path::Path;
use std::process::Command;

use crate::support::tempdir;

/// The command lines of the README's tour: the `sh` block after the heading that
/// starts with "## Tour", without comments.
fn tour_commands(readme: &str) -> Vec<String> {
    let tour = readme.split("\n## Tour").nth(1).expect("the README has a tour");
    let block = tour.split("```sh\n").nth(1).expect("the tour has an sh block");
    let block = block.split("```").next().expect("the block is closed");
    block
        .lines()
        .map(|line| line.split(" #").next().unwrap_or_default().trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn every_command_of_the_readme_tour_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let commands = tour_commands(&readme);
    assert!(commands.len() >= 5, "{commands:?}");

    let dir = tempdir();
    std::fs::create_dir(dir.path().join("corpus")).expect("mkdir");
    std::fs::copy(root.join("corpus/article.txt"), dir.path().join("corpus/article.txt"))
        .expect("copy the article");
    let binary = Path::new(env!("CARGO_BIN_EXE_rubric"));
    let bin_dir = binary.parent().expect("the binary is in a directory");
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    for command in &commands {
        assert!(command.starts_with("rubric "), "a tour line runs rubric: {command}");
        let output = Command::new("sh")
            .args(["-c", command])
            .current_dir(dir.path())
            .env("PATH", &path)
            .output()
            .expect("sh runs");
        assert!(
            output.status.success(),
            "`{command}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        // Every file the line names with -o exists afterwards.
        let words: Vec<&str> = command.split_whitespace().collect();
        for pair in words.windows(2).filter(|pair| pair[0] == "-o") {
            assert!(dir.path().join(pair[1]).exists(), "`{command}` wrote {}", pair[1]);
        }
    }
}
