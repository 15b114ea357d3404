//! Credentials that travel from one operation's answer to another's request: `issues` on a
//! response field (an access token applyToken answers with), `accepts` on a request field (the
//! token inquiryUserInfo must carry), and what a reused single-use value gets
//! (`singleUse.reused`). Their places are noted while the fields compile; their answers are
//! checked against the catalogue once the result rules are known.

use super::Compiler;
use super::schema::Side;
use crate::contract::ContractErrorKind as K;
use crate::contract::model::{ExpectDef, FieldDef};
use crate::contract::{Accept, Issue, Location, ResultRules, SingleUse};
use crate::json::Pointer;

/// A credential key noted on a field, compiled once the result rules are known.
#[derive(Debug)]
pub(super) enum Noted {
    /// `issues`: the field's place in the answer document and the credential's name.
    Issues(Pointer, String),
    /// `accepts`: the field's place in the request document, the credential, the answer
    /// without it and where that is written.
    Accepts(Pointer, String, ExpectDef, String),
    /// `singleUse.reused`: the field's place in the request document, the answer to a reuse
    /// and where it is written.
    Reused(Pointer, ExpectDef, String),
}

impl Compiler<'_> {
    /// Notes the credential keys of the field at `at` (`/request/fields/accessToken`), or
    /// reports them where they mean nothing.
    pub(super) fn note_credentials(&mut self, def: &FieldDef, at: &str, side: Side) {
        if let Some(credential) = &def.issues {
            match (side, answer_place(at)) {
                (Side::Response, Some(pointer)) => {
                    self.check_credential_name(credential, &format!("{at}/issues"));
                    self.noted.push(Noted::Issues(pointer, credential.clone()));
                }
                _ => self.misplaced(
                    at,
                    "issues",
                    "except on a response body's own fields and response headers",
                ),
            }
        }
        let request_place = (side == Side::Request).then(|| request_place(at)).flatten();
        if let Some(accepts) = &def.accepts {
            match &request_place {
                Some(pointer) => {
                    self.check_credential_name(&accepts.issued, &format!("{at}/accepts/issued"));
                    let written = format!("{at}/accepts/otherwise");
                    let noted = Noted::Accepts(
                        pointer.clone(),
                        accepts.issued.clone(),
                        accepts.otherwise.clone(),
                        written,
                    );
                    self.noted.push(noted);
                }
                None => self.misplaced(
                    at,
                    "accepts",
                    "except on the request's own fields and parameters",
                ),
            }
        }
        if let (Some(reused), Some(pointer)) = (
            def.single_use.as_ref().and_then(|s| s.reused()),
            &request_place,
        ) {
            let written = format!("{at}/singleUse/reused");
            self.noted
                .push(Noted::Reused(pointer.clone(), reused.clone(), written));
        }
    }

    /// The noted credential keys, their answers checked against `result`: the issuing fields,
    /// the accepting fields, and `single_use` with each reuse answer filled in.
    pub(super) fn issued_credentials(
        &mut self,
        result: &ResultRules,
        single_use: &mut [SingleUse],
    ) -> (Vec<Issue>, Vec<Accept>) {
        let (mut issues, mut accepts) = (Vec::new(), Vec::new());
        for noted in std::mem::take(&mut self.noted) {
            match noted {
                Noted::Issues(pointer, credential) => issues.push(Issue {
                    pointer,
                    credential,
                }),
                Noted::Accepts(pointer, credential, otherwise, at) => {
                    let otherwise = self.expect(&otherwise, result, &at);
                    accepts.push(Accept {
                        pointer,
                        credential,
                        otherwise,
                    });
                }
                Noted::Reused(pointer, reused, at) => {
                    let reused = self.expect(&reused, result, &at);
                    if let Some(field) = single_use.iter_mut().find(|s| s.pointer == pointer) {
                        field.reused = Some(reused);
                    }
                }
            }
        }
        (issues, accepts)
    }

    fn check_credential_name(&mut self, name: &str, at: &str) {
        if name.trim().is_empty() {
            self.error(
                at,
                K::Invalid("a credential needs a name (`accessToken`)".into()),
            );
        }
    }

    fn misplaced(&mut self, at: &str, key: &'static str, place: &'static str) {
        self.error_key(&format!("{at}/{key}"), K::Misplaced { key, place });
    }
}

/// The answer-document place of a response body's own field (`/response/fields/x`,
/// `/responses/201/fields/x`) or a response header (`/responses/201/headers/X-Token`).
fn answer_place(at: &str) -> Option<Pointer> {
    let (holder, name) = at.rsplit_once('/')?;
    let name = unescape(name);
    let body = Location::Body.name();
    if holder == "/response/fields" {
        return Some(Pointer::root().child(body).child(&name));
    }
    let rest = holder.strip_prefix("/responses/")?;
    let (_, kind) = rest.rsplit_once('/')?;
    let location = match kind {
        "fields" => body,
        "headers" => Location::Headers.name(),
        _ => return None,
    };
    (rest.matches('/').count() == 1).then(|| Pointer::root().child(location).child(&name))
}

/// The request-document place of a request's own field or parameter (`/request/fields/x`,
/// `/request/query/x`).
fn request_place(at: &str) -> Option<Pointer> {
    let (holder, name) = at.rsplit_once('/')?;
    let location = Location::ALL.iter().find(|l| {
        let place = match l {
            Location::Body => "/request/fields".to_string(),
            other => format!("/request/{other}"),
        };
        holder == place
    })?;
    Some(
        Pointer::root()
            .child(location.name())
            .child(&unescape(name)),
    )
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_read_from_where_the_field_is_written() {
        let place = |p: Option<Pointer>| p.map(|p| p.to_string());
        assert_eq!(
            place(answer_place("/response/fields/accessToken")).as_deref(),
            Some("/body/accessToken")
        );
        assert_eq!(
            place(answer_place("/responses/201/headers/X-Token")).as_deref(),
            Some("/headers/X-Token")
        );
        assert_eq!(
            place(answer_place("/responses/201/fields/card/fields/id")),
            None
        );
        assert_eq!(
            place(request_place("/request/fields/a~1b")).as_deref(),
            Some("/body/a~1b")
        );
        assert_eq!(
            place(request_place("/request/query/token")).as_deref(),
            Some("/query/token")
        );
        assert_eq!(place(request_place("/types/T/fields/x")), None);
    }
}
