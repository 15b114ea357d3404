//! Compiling the HTTP side of a contract: the path template, the request's parameters and body
//! (into one request document), the responses declared per status, and credentials. Every
//! contradiction between them is a located error: a `{name}` without its definition, a
//! definition the template never uses, a body on a `GET`, an object sent as a query value.

use indexmap::IndexMap;

use super::Compiler;
use super::schema::Side;
use crate::contract::ContractErrorKind as K;
use crate::contract::http::Resource;
use crate::contract::http::{Credentials, Location, PathTemplate, ResponseSpec, StatusMatch};
use crate::contract::model::{
    BodyDef, CredentialsDef, FieldDef, RequestDef, ResourceAction, ResourceDef, ResponseDef,
    ResultCarrier, StatusRole, UnknownFields,
};
use crate::contract::schema::{Field, Kind, ObjectRules, Presence, Schema, Types};
use crate::contract::{Contract, ResultRules, schema_at};
use crate::json::Pointer;
use crate::json::pointer::escape;

/// The media type of JSON bodies when a contract names none.
pub(super) const JSON: &str = "application/json";

/// What compiling `request` produces.
pub(super) struct CompiledRequest {
    /// The whole request document.
    pub document: Schema,
    /// The body's media type, when there is a body.
    pub media: Option<String>,
}

impl Compiler<'_> {
    /// The operation's path template; a malformed one is reported and read as literal text.
    pub(super) fn template(&mut self, path: &str) -> PathTemplate {
        PathTemplate::parse(path).unwrap_or_else(|why| {
            self.error(
                "/operation/path",
                K::Invalid(format!("path `{path}`: {why}")),
            );
            PathTemplate {
                text: path.to_string(),
                pieces: vec![crate::contract::http::PathPiece::Literal(path.to_string())],
            }
        })
    }

    /// The request's parameters and body as one document schema.
    pub(super) fn request(
        &mut self,
        def: &RequestDef,
        method: &str,
        template: &PathTemplate,
        types: &Types,
    ) -> CompiledRequest {
        let path = self.parameters(&def.path, Location::Path, types);
        self.check_path_params(template, &def.path);
        let query = self.parameters(&def.query, Location::Query, types);
        let headers = self.parameters(&def.headers, Location::Headers, types);
        self.check_unique_headers(def.headers.keys(), "/request/headers");
        let body = def.fields.as_ref().map(|fields| {
            let mut schema = Schema::of(vec![Kind::Object]);
            schema.objects = ObjectRules {
                fields: self.fields(fields, "/request/fields", Side::Request),
                unknown: def.unknown_fields.unwrap_or(UnknownFields::Allow),
            };
            schema
        });
        if body.is_some() && matches!(method, "GET" | "HEAD") {
            let kind = K::Invalid(format!(
                "a {method} request has no body: move these fields to `query` or change the method"
            ));
            self.error_key("/request/fields", kind);
        }
        if body.is_none() {
            for (key, given) in [
                ("unknownFields", def.unknown_fields.is_some()),
                ("contentType", def.content_type.is_some()),
            ] {
                if given {
                    let place = "without request `fields` (the request has no body)";
                    self.error_key(&format!("/request/{key}"), K::Misplaced { key, place });
                }
            }
        }
        let mut members = vec![
            container(Location::Path, path),
            container(Location::Query, query),
            container(Location::Headers, headers),
        ];
        let media = body
            .is_some()
            .then(|| def.content_type.clone().unwrap_or_else(|| JSON.into()));
        if let Some(body) = body {
            members.push(Field {
                name: Location::Body.name().into(),
                presence: Presence::Required,
                schema: body,
                conditions: Vec::new(),
                single_use: false,
            });
        }
        let mut document = Schema::of(vec![Kind::Object]);
        document.objects = ObjectRules {
            fields: members,
            unknown: UnknownFields::Reject,
        };
        CompiledRequest { media, document }
    }

    /// Parameters of one location: path parameters are always required, and every parameter
    /// travels as text, so it must be a scalar (or, in the query, an array of scalars).
    fn parameters(
        &mut self,
        defs: &IndexMap<String, FieldDef>,
        location: Location,
        types: &Types,
    ) -> Vec<Field> {
        let at = format!("/request/{location}");
        let mut fields = self.fields(defs, &at, Side::Request);
        for field in &mut fields {
            let here = format!("{at}/{}", escape(&field.name));
            if location == Location::Path {
                if defs[&field.name].required == Some(false) {
                    let kind = K::Invalid("path parameters are always required".into());
                    self.error_key(&format!("{here}/required"), kind);
                }
                field.presence = Presence::Required;
            }
            let arrays_allowed = location == Location::Query;
            if !sent_as_text(types, &field.schema, arrays_allowed, 0) {
                let allowed = if arrays_allowed {
                    "string, integer, number, boolean, or an array of those (sent as repeated keys)"
                } else {
                    "string, integer, number or boolean"
                };
                let kind = K::Invalid(format!(
                    "{location} parameters travel as text: use {allowed}"
                ));
                self.error(&format!("{here}/type"), kind);
            }
        }
        fields
    }

    /// Every `{name}` of the template has a definition, and every definition a `{name}`.
    fn check_path_params(&mut self, template: &PathTemplate, defs: &IndexMap<String, FieldDef>) {
        for name in template.params() {
            if !defs.contains_key(name) {
                let kind = K::Invalid(format!(
                    "`{{{name}}}` has no definition: add `\"{name}\": {{\"type\": \"string\"}}` to `request.path`"
                ));
                self.error("/operation/path", kind);
            }
        }
        for name in defs.keys() {
            if !template.params().any(|p| p == name) {
                let kind = K::Invalid(format!(
                    "path parameter `{name}` does not appear in `operation.path` (`{}`)",
                    template.text
                ));
                self.error_key(&format!("/request/path/{}", escape(name)), kind);
            }
        }
    }

    /// Header names are case-insensitive: two that differ only in case are one header.
    pub(super) fn check_unique_headers<'n>(
        &mut self,
        names: impl Iterator<Item = &'n String>,
        at: &str,
    ) {
        let mut seen = std::collections::HashSet::new();
        for name in names {
            if !seen.insert(name.to_ascii_lowercase()) {
                let what = "header (names are case-insensitive)";
                let kind = K::Duplicate {
                    what,
                    name: name.clone(),
                };
                self.error_key(&format!("{at}/{}", escape(name)), kind);
            }
        }
    }

    /// The declared responses: the business statuses of a result in the body (from `response`),
    /// then `responses`, most specific first.
    pub(super) fn responses(
        &mut self,
        carrier: ResultCarrier,
        http_status: &[u16],
        response: Option<&BodyDef>,
        defs: &IndexMap<String, ResponseDef>,
        types: &Types,
    ) -> (Schema, String, Vec<ResponseSpec>) {
        let business = response.map(|def| self.business_body(def));
        let mut specs = Vec::new();
        if let Some((schema, media)) = &business {
            specs.extend(http_status.iter().map(|status| ResponseSpec {
                status: StatusMatch::Exact(*status),
                role: None,
                content_type: Some(media.clone()),
                headers: Vec::new(),
                body: Some(schema.clone()),
            }));
        }
        for (key, def) in defs {
            let at = format!("/responses/{}", escape(key));
            let Some(status) = StatusMatch::parse(key) else {
                let kind = K::Invalid(format!(
                    "`{key}` is not a response status: use `200`, a class such as `4XX`, or `default`"
                ));
                self.error_key(&at, kind);
                continue;
            };
            if carrier == ResultCarrier::Body
                && http_status.iter().any(|s| status == StatusMatch::Exact(*s))
            {
                let kind = K::Invalid(format!(
                    "status {key} carries the business result: its body is `response`, not `responses`"
                ));
                self.error_key(&at, kind);
                continue;
            }
            specs.push(self.response(def, status, &at, types));
        }
        specs.sort_by_key(|r| r.status.rank());
        let (schema, media) =
            business.unwrap_or_else(|| (Schema::of(vec![Kind::Object]), JSON.into()));
        (schema, media, specs)
    }

    fn business_body(&mut self, def: &BodyDef) -> (Schema, String) {
        let mut schema = Schema::of(vec![Kind::Object]);
        schema.objects = ObjectRules {
            fields: self.fields(&def.fields, "/response/fields", Side::Response),
            unknown: def.unknown_fields.unwrap_or(UnknownFields::Allow),
        };
        let media = def.content_type.clone().unwrap_or_else(|| JSON.into());
        (schema, media)
    }

    fn response(
        &mut self,
        def: &ResponseDef,
        status: StatusMatch,
        at: &str,
        types: &Types,
    ) -> ResponseSpec {
        let headers = self.fields(&def.headers, &format!("{at}/headers"), Side::Response);
        self.check_unique_headers(def.headers.keys(), &format!("{at}/headers"));
        for header in &headers {
            if !sent_as_text(types, &header.schema, false, 0) {
                let kind = K::Invalid(
                    "response headers travel as text: use string, integer, number or boolean"
                        .into(),
                );
                self.error(&format!("{at}/headers/{}/type", escape(&header.name)), kind);
            }
        }
        let body = def.fields.as_ref().map(|fields| {
            let mut schema = Schema::of(vec![Kind::Object]);
            schema.objects = ObjectRules {
                fields: self.fields(fields, &format!("{at}/fields"), Side::Response),
                unknown: def.unknown_fields.unwrap_or(UnknownFields::Allow),
            };
            schema
        });
        if body.is_none() && def.unknown_fields.is_some() {
            let place = "without `fields`";
            let key = "unknownFields";
            self.error_key(&format!("{at}/unknownFields"), K::Misplaced { key, place });
        }
        let content_type = def
            .content_type
            .clone()
            .or_else(|| body.is_some().then(|| JSON.to_string()));
        ResponseSpec {
            status,
            role: Some(def.role.unwrap_or_else(|| status.default_role())),
            content_type,
            headers,
            body,
        }
    }

    /// Credential headers and the answer a request without them gets.
    pub(super) fn credentials(
        &mut self,
        def: Option<&CredentialsDef>,
        rules: &ResultRules,
    ) -> Option<Credentials> {
        let def = def?;
        if def.headers.is_empty() {
            let kind = K::Invalid("name at least one header that carries credentials".into());
            self.error("/credentials/headers", kind);
        }
        self.check_unique_headers(def.headers.iter(), "/credentials/headers");
        Some(Credentials {
            headers: def.headers.clone(),
            reject: self.expect(&def.reject, rules, "/credentials/reject"),
        })
    }
}

impl Compiler<'_> {
    /// The resource block: a name fit for flow names, and an id that points somewhere real.
    pub(super) fn resource(&mut self, def: &ResourceDef, contract: &Contract) -> Option<Resource> {
        self.check_name(&def.name, "/resource/name");
        let needs_id = def.action != ResourceAction::List;
        let id = match (&def.id, needs_id) {
            (Some(text), _) => self.resource_pointer(text, "/resource/id", def.action, contract),
            (None, true) => {
                let kind = K::Invalid(format!(
                    "a `{}` says where the resource's id is: `id`",
                    action_name(def.action)
                ));
                self.error("/resource", kind);
                None
            }
            (None, false) => None,
        };
        let representation = match &def.representation {
            Some(text) => {
                let at = "/resource/representation";
                self.answer_pointer(text, at, contract)?
            }
            None => Pointer::root().child(Location::Body.name()),
        };
        // What a request for an id that does not exist gets: a read, an update or a delete.
        let by_id = matches!(
            def.action,
            ResourceAction::Read | ResourceAction::Update | ResourceAction::Delete
        );
        let not_found = match (&def.not_found, by_id) {
            (Some(expect), true) => {
                Some(self.expect(expect, &contract.result, "/resource/notFound"))
            }
            (Some(_), false) => {
                let place = "except on a `read`, `update` or `delete`";
                let kind = K::Misplaced {
                    key: "notFound",
                    place,
                };
                self.error_key("/resource/notFound", kind);
                None
            }
            (None, true)
                if contract.result.carrier == ResultCarrier::HttpStatus
                    && contract.response_for(404).is_some() =>
            {
                Some(crate::contract::Expect {
                    status: "404".into(),
                    code: None,
                })
            }
            (None, _) => None,
        };
        Some(Resource {
            name: def.name.clone(),
            action: def.action,
            id,
            representation,
            not_found,
        })
    }

    /// A `create`'s id is in its answer; any other action's id is in its request.
    fn resource_pointer(
        &mut self,
        text: &str,
        at: &str,
        action: ResourceAction,
        contract: &Contract,
    ) -> Option<Pointer> {
        if action == ResourceAction::Create {
            return self.answer_pointer(text, at, contract);
        }
        match Pointer::parse(text) {
            Ok(pointer)
                if schema_at(&contract.types, &contract.document, pointer.segments()).is_some() =>
            {
                Some(pointer)
            }
            Ok(_) => {
                let kind = K::Pointer(format!(
                    "`{text}` does not lead to a parameter or body field of the request (`/path/cardId`, `/body/cardNo`)"
                ));
                self.error(at, kind);
                None
            }
            Err(err) => {
                self.error(at, K::Pointer(err.to_string()));
                None
            }
        }
    }

    /// A pointer into a successful answer: `/body/...` to a field of a success response's body,
    /// or `/headers/<name>` to a header a success response declares.
    pub(super) fn answer_pointer(
        &mut self,
        text: &str,
        at: &str,
        contract: &Contract,
    ) -> Option<Pointer> {
        let pointer = match Pointer::parse(text) {
            Ok(pointer) => pointer,
            Err(err) => {
                self.error(at, K::Pointer(err.to_string()));
                return None;
            }
        };
        let successes: Vec<&ResponseSpec> = contract
            .responses
            .iter()
            .filter(|r| r.role.unwrap_or(StatusRole::Success) == StatusRole::Success)
            .collect();
        let found = match pointer.segments() {
            [first, rest @ ..] if first == Location::Body.name() => successes.iter().any(|r| {
                r.body
                    .as_ref()
                    .is_some_and(|b| schema_at(&contract.types, b, rest).is_some())
            }),
            [first, name] if first == Location::Headers.name() => successes
                .iter()
                .any(|r| r.headers.iter().any(|h| h.name.eq_ignore_ascii_case(name))),
            _ => false,
        };
        if !found {
            let kind = K::Pointer(format!(
                "`{text}` does not lead to a body field or declared header of a successful answer (`/body/card/id`, `/headers/Location`)"
            ));
            self.error(at, kind);
            return None;
        }
        Some(pointer)
    }
}

fn action_name(action: ResourceAction) -> &'static str {
    match action {
        ResourceAction::Create => "create",
        ResourceAction::Read => "read",
        ResourceAction::Update => "update",
        ResourceAction::Delete => "delete",
        ResourceAction::List => "list",
    }
}

/// A request-document member holding one location's parameters (always present, possibly
/// empty; parameters the contract does not name are allowed, as real requests carry many).
fn container(location: Location, fields: Vec<Field>) -> Field {
    let mut schema = Schema::of(vec![Kind::Object]);
    schema.objects = ObjectRules {
        fields,
        unknown: UnknownFields::Allow,
    };
    Field {
        name: location.name().into(),
        presence: Presence::Required,
        schema,
        conditions: Vec::new(),
        single_use: false,
    }
}

/// Whether values of `schema` can be written as text and read back: scalars, and (where
/// repeated keys carry them) arrays of scalars. Named types are resolved.
fn sent_as_text(types: &Types, schema: &Schema, arrays_allowed: bool, depth: usize) -> bool {
    depth < 16
        && schema.kinds.iter().all(|kind| match kind {
            Kind::String | Kind::Integer | Kind::Number | Kind::Boolean => true,
            Kind::Named(id) => types
                .0
                .get(id.0)
                .is_some_and(|named| sent_as_text(types, &named.schema, arrays_allowed, depth + 1)),
            Kind::Array if arrays_allowed => schema
                .arrays
                .items
                .as_deref()
                .is_some_and(|items| sent_as_text(types, items, false, depth + 1)),
            _ => false,
        })
}

/// Whether a pointer into a response body leads to a field of some declared response body.
pub(super) fn in_any_response(
    types: &Types,
    responses: &[ResponseSpec],
    segments: &[String],
) -> bool {
    responses.iter().any(|r| {
        r.body
            .as_ref()
            .is_some_and(|body| crate::contract::schema_at(types, body, segments).is_some())
    })
}
