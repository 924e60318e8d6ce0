//! Credentials from a profile in a credentials file, the INI file that the
//! Tencent Cloud CLI writes:
//!
//! ```ini
//! [default]
//! secret_id = AKIDEXAMPLE
//! secret_key = the-secret-key
//!
//! [other]
//! secret_id = AKIDOTHER
//! secret_key = another-secret-key
//! token = an-optional-session-token
//! ```

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::chain::Presence;
use super::{Credentials, EnvLookup, ProvideCredentials};
use crate::Error;

/// When set, the only credentials file tried.
const FILE_VARIABLE: &str = "TENCENTCLOUD_CREDENTIALS_FILE";
/// When set, the profile used unless one is chosen in the builder.
const PROFILE_VARIABLE: &str = "TENCENTCLOUD_PROFILE";
const DEFAULT_PROFILE: &str = "default";
/// The file's place under the home directory.
const HOME_FILE: [&str; 2] = [".tencentcloud", "credentials"];
/// The machine-wide file, tried after the one in the home directory.
const SYSTEM_FILE: &str = "/etc/tencentcloud/credentials";
#[cfg(windows)]
const HOME_VARIABLE: &str = "USERPROFILE";
#[cfg(not(windows))]
const HOME_VARIABLE: &str = "HOME";
/// The largest credentials file read; real ones are a few hundred bytes.
const FILE_LIMIT: u64 = 256 * 1024;

/// Reads credentials from a profile in a credentials file, on every call.
///
/// # Which file
///
/// The file set with [`ProfileCredentialsBuilder::file`]; otherwise the
/// file named by `TENCENTCLOUD_CREDENTIALS_FILE`, when it is set, and no
/// other; otherwise `~/.tencentcloud/credentials`, then
/// `/etc/tencentcloud/credentials`. The first file that exists is used, and
/// the search stops there: a file that exists but cannot be read, is
/// malformed, or lacks the profile is an error, never a reason to try the
/// next.
///
/// # Which profile
///
/// The one set with [`ProfileCredentialsBuilder::profile`]; otherwise the
/// one named by `TENCENTCLOUD_PROFILE`, when it is set; otherwise
/// `default`. A profile has `secret_id` and `secret_key`, and optionally
/// `token` for temporary credentials.
///
/// # Format
///
/// `[section]` lines start profiles; `key = value` lines fill them, with
/// whitespace around keys and values ignored and keys compared without
/// regard to case; lines starting with `#` or `;` are comments. A comment
/// after a value is part of the value. Anything else (a line that is none
/// of these, a key before any section, a key or section given twice) makes
/// the file malformed, and the error names the file and the line, but never
/// quotes it, since it may hold a secret.
#[derive(Clone, Debug)]
pub struct ProfileCredentials {
    file: Option<PathBuf>,
    home_dir: Option<PathBuf>,
    system_file: Option<PathBuf>,
    profile: Option<String>,
    env: EnvLookup,
}

/// Builds a [`ProfileCredentials`].
#[derive(Clone, Debug)]
pub struct ProfileCredentialsBuilder {
    inner: ProfileCredentials,
}

impl ProfileCredentials {
    /// A provider with the default settings: it looks for the file and the
    /// profile as described above.
    pub fn new() -> ProfileCredentials {
        ProfileCredentials::builder().build()
    }

    /// Starts building a provider.
    pub fn builder() -> ProfileCredentialsBuilder {
        ProfileCredentialsBuilder {
            inner: ProfileCredentials {
                file: None,
                home_dir: None,
                system_file: cfg!(unix).then(|| PathBuf::from(SYSTEM_FILE)),
                profile: None,
                env: EnvLookup::default(),
            },
        }
    }

    /// The profile's credentials; absent when no candidate file exists.
    pub(crate) fn lookup(&self) -> Result<Presence<Credentials>, Error> {
        let (candidates, mut notes) = self.candidates();
        let profile = self.profile_name();
        for path in &candidates {
            let Some(text) = read_file(path)? else {
                notes.push(format!("no file at {}", path.display()));
                continue;
            };
            let credentials = credentials_from(path, &text, &profile)?;
            log::debug!(
                "credentials from profile [{profile}] of {}: {}",
                path.display(),
                super::MaskedId(credentials.secret_id())
            );
            return Ok(Presence::Found(credentials));
        }
        Ok(Presence::Absent(notes.join("; ")))
    }

    /// The files to try in order, and notes on those that could not even
    /// be named.
    fn candidates(&self) -> (Vec<PathBuf>, Vec<String>) {
        if let Some(file) = &self.file {
            return (vec![file.clone()], Vec::new());
        }
        if let Some(file) = self.env.var(FILE_VARIABLE) {
            return (vec![PathBuf::from(file)], Vec::new());
        }
        let mut candidates = Vec::new();
        let mut notes = Vec::new();
        match self
            .home_dir
            .clone()
            .or_else(|| self.env.var(HOME_VARIABLE).map(PathBuf::from))
        {
            Some(home) => {
                candidates.push(HOME_FILE.iter().fold(home, |path, part| path.join(part)))
            }
            None => notes.push(format!("{HOME_VARIABLE} is not set")),
        }
        candidates.extend(self.system_file.clone());
        (candidates, notes)
    }

    fn profile_name(&self) -> String {
        self.profile
            .clone()
            .or_else(|| {
                self.env
                    .var(PROFILE_VARIABLE)
                    .map(|name| name.trim().to_owned())
            })
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
    }
}

impl Default for ProfileCredentials {
    fn default() -> ProfileCredentials {
        ProfileCredentials::new()
    }
}

impl ProvideCredentials for ProfileCredentials {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        match self.lookup()? {
            Presence::Found(credentials) => Ok(credentials),
            Presence::Absent(reason) => {
                Err(Error::credentials(format!("no credentials file: {reason}")))
            }
        }
    }
}

impl ProfileCredentialsBuilder {
    /// Reads this file, and no other. Default: the search described on
    /// [`ProfileCredentials`].
    pub fn file(mut self, path: impl Into<PathBuf>) -> ProfileCredentialsBuilder {
        self.inner.file = Some(path.into());
        self
    }

    /// Uses this profile. Default: `TENCENTCLOUD_PROFILE` when set,
    /// otherwise `default`.
    pub fn profile(mut self, name: impl Into<String>) -> ProfileCredentialsBuilder {
        self.inner.profile = Some(name.into());
        self
    }

    /// Looks for `.tencentcloud/credentials` under this directory, unless
    /// `TENCENTCLOUD_CREDENTIALS_FILE` names the file. Default: the
    /// directory in `HOME` (`USERPROFILE` on Windows).
    pub fn home_dir(mut self, path: impl Into<PathBuf>) -> ProfileCredentialsBuilder {
        self.inner.home_dir = Some(path.into());
        self
    }

    /// The machine-wide file, tried after the one in the home directory
    /// (and, like it, not when `TENCENTCLOUD_CREDENTIALS_FILE` is set).
    /// Default: `/etc/tencentcloud/credentials` on Unix, none elsewhere.
    pub fn system_file(mut self, path: impl Into<PathBuf>) -> ProfileCredentialsBuilder {
        self.inner.system_file = Some(path.into());
        self
    }

    /// Reads environment variables (`TENCENTCLOUD_CREDENTIALS_FILE`,
    /// `TENCENTCLOUD_PROFILE`, `HOME`) through `lookup` instead of the
    /// process environment. Default: the process environment.
    pub fn env(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> ProfileCredentialsBuilder {
        self.inner.env = EnvLookup::new(lookup);
        self
    }

    pub(crate) fn shared_env(mut self, env: EnvLookup) -> ProfileCredentialsBuilder {
        self.inner.env = env;
        self
    }

    /// Builds the provider. Nothing is read until the first call.
    pub fn build(self) -> ProfileCredentials {
        self.inner
    }
}

/// The file's text, or `None` when it does not exist.
fn read_file(path: &Path) -> Result<Option<String>, Error> {
    let shown = path.display();
    let mut text = String::new();
    let read =
        File::open(path).and_then(|file| file.take(FILE_LIMIT + 1).read_to_string(&mut text));
    match read {
        Ok(_) if text.len() as u64 > FILE_LIMIT => Err(Error::credentials(format!(
            "{shown} is larger than {FILE_LIMIT} bytes; it is not a credentials file"
        ))),
        Ok(_) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            Err(Error::credentials(format!("{shown} is not UTF-8 text")))
        }
        Err(e) => Err(Error::credentials(format!("cannot read {shown}")).with_source(e)),
    }
}

/// The credentials of `profile` in the file at `path` holding `text`.
fn credentials_from(path: &Path, text: &str, profile: &str) -> Result<Credentials, Error> {
    let shown = path.display();
    let sections = parse(text).map_err(|malformed| {
        Error::credentials(format!("{shown}:{}: {}", malformed.line, malformed.problem))
    })?;
    let section = sections
        .iter()
        .find(|section| section.name == profile)
        .ok_or_else(|| Error::credentials(format!("{shown} has no [{profile}] profile")))?;

    let required = |key: &str| match section.value(key) {
        Some(entry) if !entry.value.is_empty() => Ok(entry.value.as_str()),
        Some(entry) => Err(Error::credentials(format!(
            "{shown}:{}: {key} of profile [{profile}] is empty",
            entry.line
        ))),
        None => Err(Error::credentials(format!(
            "{shown}:{}: profile [{profile}] has no {key}",
            section.line
        ))),
    };
    let mut credentials = Credentials::new(required("secret_id")?, required("secret_key")?);
    if let Some(token) = section
        .value("token")
        .filter(|entry| !entry.value.is_empty())
    {
        credentials = credentials.with_token(token.value.as_str());
    }
    Ok(credentials)
}

struct Section {
    name: String,
    /// The line of the `[name]` header, 1-based.
    line: usize,
    entries: Vec<Entry>,
}

struct Entry {
    /// Lowercased.
    key: String,
    value: String,
    line: usize,
}

impl Section {
    fn value(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.key == key)
    }
}

/// Why a file is malformed, and where. The problem never quotes the line.
#[derive(Debug)]
struct Malformed {
    line: usize,
    problem: String,
}

/// Parses the INI subset described on [`ProfileCredentials`].
fn parse(text: &str) -> Result<Vec<Section>, Malformed> {
    // Editors on Windows may start the file with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<Section> = Vec::new();

    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let malformed = |problem: String| Malformed { line, problem };
        let trimmed = raw.trim();

        // Blank lines and comments.
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }

        // A section header.
        if let Some(inner) = trimmed.strip_prefix('[') {
            let name = inner
                .strip_suffix(']')
                .map(str::trim)
                .filter(|name| is_section_name(name))
                .ok_or_else(|| {
                    malformed(
                        "a section header must be [name], the name without brackets or \
                         control characters"
                            .to_owned(),
                    )
                })?;
            if let Some(first) = sections.iter().find(|section| section.name == name) {
                return Err(malformed(format!(
                    "section [{name}] appears again (first at line {})",
                    first.line
                )));
            }
            sections.push(Section {
                name: name.to_owned(),
                line,
                entries: Vec::new(),
            });
            continue;
        }

        // A key = value pair, inside a section.
        let key_value = trimmed
            .split_once('=')
            .map(|(key, value)| (key.trim().to_ascii_lowercase(), value.trim()))
            .filter(|(key, _)| is_key(key));
        let Some((key, value)) = key_value else {
            return Err(malformed(
                "expected a [section], a key = value pair, a comment or a blank line".to_owned(),
            ));
        };
        let Some(section) = sections.last_mut() else {
            return Err(malformed(
                "a key = value pair comes before any [section]".to_owned(),
            ));
        };
        if let Some(first) = section.entries.iter().find(|entry| entry.key == key) {
            return Err(malformed(format!(
                "{key} appears twice in [{}] (first at line {})",
                section.name, first.line
            )));
        }
        section.entries.push(Entry {
            key,
            value: value.to_owned(),
            line,
        });
    }
    Ok(sections)
}

fn is_section_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c == '[' || c == ']' || c.is_control())
}

/// Keys are plain words, which also keeps a stray secret (a line missing
/// its key) from being taken for a key and quoted in an error.
fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_text(text: &str, profile: &str) -> Result<Credentials, Error> {
        credentials_from(Path::new("/cfg/credentials"), text, profile)
    }

    #[test]
    fn reads_the_default_profile_with_spaces_and_comments() {
        let text = "\u{feff}# written by tccli\n\n[default]\n  secret_id =  AKIDdefault  \n\
                    ; a comment\nSECRET_KEY=key=with=equals\n\n[other]\nsecret_id=AKIDother\n\
                    secret_key=other-key\ntoken = tok\n";
        let creds = from_text(text, "default").unwrap();
        assert_eq!(creds.secret_id(), "AKIDdefault");
        assert_eq!(creds.secret_key(), "key=with=equals");
        assert_eq!(creds.token(), None);
        let creds = from_text(text, "other").unwrap();
        assert_eq!(creds.token(), Some("tok"));
    }

    #[test]
    fn a_line_that_is_nothing_known_names_file_and_line_without_quoting_it() {
        let text = "[default]\nsecret_id = AKIDx\nthe-leaked-secret-key\n";
        let e = from_text(text, "default").unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(
            e.to_string()
                .contains("/cfg/credentials:3: expected a [section]"),
            "{e}"
        );
        assert!(!shown.contains("the-leaked-secret-key"), "{shown}");
    }

    #[test]
    fn malformed_files_name_the_line() {
        let cases = [
            ("secret_id = x\n[default]\n", 1, "before any [section]"),
            ("[default\nsecret_id = x\n", 1, "section header"),
            ("[]\n", 1, "section header"),
            (
                "[default]\n\nsecret_id = a\nSecret_Id = b\n",
                4,
                "secret_id appears twice in [default] (first at line 3)",
            ),
            (
                "[default]\n[x]\n[default]\n",
                3,
                "section [default] appears again (first at line 1)",
            ),
            ("[default]\nsecret id = x\n", 2, "expected a [section]"),
            ("[default]\n= x\n", 2, "expected a [section]"),
        ];
        for (text, line, problem) in cases {
            let e = from_text(text, "default").unwrap_err();
            let expected = format!("/cfg/credentials:{line}: ");
            assert!(e.to_string().contains(&expected), "{text:?}: {e}");
            assert!(e.to_string().contains(problem), "{text:?}: {e}");
        }
    }

    #[test]
    fn a_profile_missing_its_key_names_the_section_line() {
        let e = from_text("# top\n[default]\nsecret_id = AKIDx\n", "default").unwrap_err();
        assert!(
            e.to_string()
                .contains("/cfg/credentials:2: profile [default] has no secret_key"),
            "{e}"
        );
        let e = from_text("[default]\nsecret_id = AKIDx\nsecret_key =\n", "default").unwrap_err();
        assert!(
            e.to_string()
                .contains(":3: secret_key of profile [default] is empty"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_profile_is_an_error_naming_it() {
        let e = from_text("[default]\nsecret_id=a\nsecret_key=b\n", "prod").unwrap_err();
        assert!(e.to_string().contains("has no [prod] profile"), "{e}");
    }

    #[test]
    fn the_file_variable_is_the_only_candidate() {
        let provider = ProfileCredentials::builder()
            .home_dir("/home/someone")
            .env(|name| (name == FILE_VARIABLE).then(|| "/elsewhere/creds".to_owned()))
            .build();
        let (candidates, _) = provider.candidates();
        assert_eq!(candidates, vec![PathBuf::from("/elsewhere/creds")]);
    }

    #[test]
    fn home_then_system_file_without_the_variable() {
        let provider = ProfileCredentials::builder()
            .system_file("/etc/x/credentials")
            .env(|name| (name == HOME_VARIABLE).then(|| "/home/someone".to_owned()))
            .build();
        let (candidates, _) = provider.candidates();
        assert_eq!(
            candidates,
            vec![
                PathBuf::from("/home/someone/.tencentcloud/credentials"),
                PathBuf::from("/etc/x/credentials")
            ]
        );
    }

    #[test]
    fn the_profile_variable_applies_unless_the_builder_chose() {
        let env = |name: &str| (name == PROFILE_VARIABLE).then(|| "prod".to_owned());
        let provider = ProfileCredentials::builder().env(env).build();
        assert_eq!(provider.profile_name(), "prod");
        let provider = ProfileCredentials::builder()
            .env(env)
            .profile("dev")
            .build();
        assert_eq!(provider.profile_name(), "dev");
        let provider = ProfileCredentials::builder().env(|_| None).build();
        assert_eq!(provider.profile_name(), "default");
    }
}
