//! The HTTP side of a compiled contract: the path template, where each part of a request lives,
//! the responses declared per status, and credentials.
//!
//! A request is described as one JSON document, `{"path": {...}, "query": {...}, "headers":
//! {...}, "body": ...}`, checked by one schema ([`super::Contract::document`]). Parameters are
//! then constrained, generated, validated and named exactly like body fields (a probe of the
//! query parameter `expand` is the case `<contract>/negative/query.expand/...`), and only the
//! wire binding knows that a query value travels as text.

use std::fmt;

use super::model::StatusRole;
use super::schema::{Field, Schema};

/// A path such as `/v1/cards/{cardNo}`, split into literal text and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathTemplate {
    /// The path as written in the contract.
    pub text: String,
    /// The pieces, in order.
    pub pieces: Vec<PathPiece>,
}

/// One piece of a [`PathTemplate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathPiece {
    /// Literal text, sent as it is (`/v1/cards/`).
    Literal(String),
    /// A parameter's value, percent-encoded as one path segment.
    Param(String),
}

impl PathTemplate {
    /// Parses `text`; `Err` says what is wrong (an unclosed or empty `{}`, a nested brace).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err("a `}` without its `{`".into());
            }
            let close = rest[open..]
                .find('}')
                .map(|i| open + i)
                .ok_or("a `{` without its `}`")?;
            let name = &rest[open + 1..close];
            if name.is_empty() || name.contains(['{', '/']) {
                return Err(format!("`{{{name}}}` is not a parameter name"));
            }
            if open > 0 {
                pieces.push(PathPiece::Literal(rest[..open].to_string()));
            }
            pieces.push(PathPiece::Param(name.to_string()));
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(PathPiece::Literal(rest.to_string()));
        }
        Ok(PathTemplate {
            text: text.to_string(),
            pieces,
        })
    }

    /// The parameter names, in order.
    pub(crate) fn params(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            PathPiece::Param(name) => Some(name.as_str()),
            PathPiece::Literal(_) => None,
        })
    }

    /// Whether the path has no parameters (it is matched by plain comparison).
    pub(crate) fn is_literal(&self) -> bool {
        self.params().next().is_none()
    }
}

/// Where a part of a request lives; the members of the request document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Location {
    /// A path parameter.
    Path,
    /// A query parameter.
    Query,
    /// A request header.
    Headers,
    /// The body.
    Body,
}

impl Location {
    /// Every location, in document order.
    pub(crate) const ALL: [Location; 4] = [
        Location::Path,
        Location::Query,
        Location::Headers,
        Location::Body,
    ];

    /// The member name in the request document, also the first part of a parameter's name in
    /// case names (`query.expand`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Headers => "headers",
            Location::Body => "body",
        }
    }

    /// The location a request-document member name stands for.
    pub(crate) fn of(name: &str) -> Option<Location> {
        Location::ALL.into_iter().find(|l| l.name() == name)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a pointer into the request document is shown to people: body fields as before
/// parameters existed (`/appId`), parameters with their location (`/query/limit`).
pub(crate) fn shown_pointer(document_pointer: &str) -> &str {
    document_pointer
        .strip_prefix("/body")
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .map_or(
            document_pointer,
            |rest| if rest.is_empty() { "/" } else { rest },
        )
}

/// Which HTTP statuses a response definition covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum StatusMatch {
    /// One status, `404`.
    Exact(u16),
    /// A class, `4XX`: the hundreds digit.
    Class(u16),
    /// Any status no other definition covers.
    Default,
}

impl StatusMatch {
    /// Parses `404`, `4XX` (or `4xx`) or `default`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        if text == "default" {
            return Some(StatusMatch::Default);
        }
        let bytes = text.as_bytes();
        if bytes.len() != 3 || !(b'1'..=b'5').contains(&bytes[0]) {
            return None;
        }
        let hundreds = u16::from(bytes[0] - b'0');
        if text[1..].eq_ignore_ascii_case("XX") {
            return Some(StatusMatch::Class(hundreds));
        }
        text.parse::<u16>().ok().map(StatusMatch::Exact)
    }

    /// Whether `status` is covered (a `default` covers everything; callers try it last).
    pub(crate) fn covers(self, status: u16) -> bool {
        match self {
            StatusMatch::Exact(s) => s == status,
            StatusMatch::Class(c) => status / 100 == c,
            StatusMatch::Default => true,
        }
    }

    /// How specific the match is: exact before class before default.
    pub(crate) fn rank(self) -> u8 {
        match self {
            StatusMatch::Exact(_) => 0,
            StatusMatch::Class(_) => 1,
            StatusMatch::Default => 2,
        }
    }

    /// The role of a status of this class when the contract gives none: `2XX` success, `5XX`
    /// unknown (the request may or may not have been processed: retry with the same key),
    /// anything else failure.
    pub(crate) fn default_role(self) -> StatusRole {
        let class = match self {
            StatusMatch::Exact(s) => s / 100,
            StatusMatch::Class(c) => c,
            StatusMatch::Default => 0,
        };
        match class {
            2 => StatusRole::Success,
            5 => StatusRole::Unknown,
            _ => StatusRole::Failure,
        }
    }
}

impl fmt::Display for StatusMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusMatch::Exact(s) => write!(f, "{s}"),
            StatusMatch::Class(c) => write!(f, "{c}XX"),
            StatusMatch::Default => f.write_str("default"),
        }
    }
}

/// One declared response: the statuses it covers, what they mean, and what the answer carries.
#[derive(Debug, Clone)]
pub(crate) struct ResponseSpec {
    /// The statuses covered.
    pub status: StatusMatch,
    /// The role of these statuses; `None` where the role is read from the body (the business
    /// statuses of a contract whose result is in the body).
    pub role: Option<StatusRole>,
    /// The media type `Content-Type` must carry; `None`: not checked.
    pub content_type: Option<String>,
    /// Declared response headers, names as written (compared case-insensitively).
    pub headers: Vec<Field>,
    /// The body's schema; `None`: the body is not described.
    pub body: Option<Schema>,
}

/// Credentials carried in request headers.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    /// The header names, as written.
    pub headers: Vec<String>,
    /// What a request with missing or wrong credentials must get.
    pub reject: super::Expect,
}

/// What an operation does to a resource, and where its id is.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    /// The resource's name (`card`).
    pub name: String,
    /// What the operation does.
    pub action: super::model::ResourceAction,
    /// `create`: the id's place in the answer document (`{"status", "headers", "body"}`);
    /// `read`, `update`, `delete`: its place in the request document.
    pub id: Option<crate::json::Pointer>,
    /// Where the resource's fields are in a successful answer's document.
    pub representation: crate::json::Pointer,
    /// What a read of an id that does not exist must get.
    pub not_found: Option<super::Expect>,
}

/// The response definition covering `status`: an exact one, else its class, else `default`.
pub(crate) fn response_for(responses: &[ResponseSpec], status: u16) -> Option<&ResponseSpec> {
    responses
        .iter()
        .filter(|r| r.status.covers(status))
        .min_by_key(|r| r.status.rank())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_literals_and_parameters() {
        let t = PathTemplate::parse("/v1/cards/{cardNo}/assets/{kind}.json").unwrap();
        assert_eq!(t.params().collect::<Vec<_>>(), ["cardNo", "kind"]);
        assert_eq!(
            t.pieces[0],
            PathPiece::Literal("/v1/cards/".into()),
            "{:?}",
            t.pieces
        );
        assert_eq!(t.pieces[4], PathPiece::Literal(".json".into()));
        assert!(
            PathTemplate::parse("/v2/pds/issueCard")
                .unwrap()
                .is_literal()
        );
    }

    #[test]
    fn body_pointers_are_shown_without_their_location() {
        assert_eq!(shown_pointer("/body/appId"), "/appId");
        assert_eq!(shown_pointer("/body"), "/");
        assert_eq!(shown_pointer("/query/limit"), "/query/limit");
        assert_eq!(shown_pointer("/bodyguard"), "/bodyguard");
    }

    #[test]
    fn malformed_templates_say_why() {
        assert!(
            PathTemplate::parse("/a/{b")
                .unwrap_err()
                .contains("without its `}`")
        );
        assert!(
            PathTemplate::parse("/a/b}")
                .unwrap_err()
                .contains("without its `{`")
        );
        assert!(
            PathTemplate::parse("/a/{}")
                .unwrap_err()
                .contains("not a parameter name")
        );
    }

    #[test]
    fn statuses_match_exactly_then_by_class_then_default() {
        assert_eq!(StatusMatch::parse("4XX"), Some(StatusMatch::Class(4)));
        assert_eq!(StatusMatch::parse("4xx"), Some(StatusMatch::Class(4)));
        assert_eq!(StatusMatch::parse("201"), Some(StatusMatch::Exact(201)));
        assert_eq!(StatusMatch::parse("default"), Some(StatusMatch::Default));
        for bad in ["600", "20", "2X1", "ok", "099"] {
            assert_eq!(StatusMatch::parse(bad), None, "{bad}");
        }
        let spec = |status| ResponseSpec {
            status,
            role: None,
            content_type: None,
            headers: Vec::new(),
            body: None,
        };
        let responses = [
            spec(StatusMatch::Default),
            spec(StatusMatch::Class(4)),
            spec(StatusMatch::Exact(404)),
        ];
        let found = |s| response_for(&responses, s).map(|r| r.status);
        assert_eq!(found(404), Some(StatusMatch::Exact(404)));
        assert_eq!(found(400), Some(StatusMatch::Class(4)));
        assert_eq!(found(500), Some(StatusMatch::Default));
    }

    #[test]
    fn unknown_is_the_default_role_of_server_errors_only() {
        assert_eq!(StatusMatch::Exact(201).default_role(), StatusRole::Success);
        assert_eq!(StatusMatch::Class(5).default_role(), StatusRole::Unknown);
        assert_eq!(StatusMatch::Exact(409).default_role(), StatusRole::Failure);
        assert_eq!(StatusMatch::Default.default_role(), StatusRole::Failure);
    }
}
