//! Help texts: each subcommand's `--help` opens with what that subcommand does, the line
//! `conform --help` lists for it. Subcommands' arguments are built only when one is run (it
//! saves a third of a millisecond of every run's start), and a doc comment on an argument
//! group flattened into one would then take the place of that line.

use crate::util::conform;

#[tokio::test]
async fn each_subcommand_help_opens_with_the_line_the_command_list_gives_it() {
    let top = conform(&["--help"]).await;
    assert_eq!(top.code, 0, "{}", top.stderr);
    let listed: Vec<(&str, &str)> = top
        .stdout
        .lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.trim_start().split_once(' '))
        .map(|(name, about)| (name, about.trim_start()))
        .filter(|(name, _)| *name != "help")
        .collect();
    assert!(listed.len() >= 13, "the command list: {}", top.stdout);
    for (name, about) in listed {
        let help = conform(&[name, "--help"]).await;
        assert_eq!(help.code, 0, "{name}: {}", help.stderr);
        assert_eq!(
            help.stdout.lines().next(),
            Some(about),
            "`conform {name} --help` opens with its own description"
        );
    }
}
