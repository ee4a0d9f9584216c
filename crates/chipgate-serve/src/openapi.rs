//! `GET /openapi.json`: the OpenAPI 3.1 document of the service, generated from the handlers'
//! annotations and the types of the documents they render (`utoipa`), never written by hand.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chipgate_core::request::Answer;
use chipgate_core::rules::words;
use serde::Serialize;
use utoipa::OpenApi;

use super::Problem;

/// The answer to a check (`chipgate check --format json`).
pub(crate) type AnswerDoc = Answer<'static>;

/// One answer of a batch: the decision, or the problem with that request (with `index`). For
/// the schema only: the handler renders each answer as it comes.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(crate) enum BatchAnswer {
    /// The request's decision.
    Answer(AnswerDoc),
    /// What was wrong with the request.
    Problem(Problem),
}

/// What `GET /v1/rules/{id}` renders: a rule's sheet or a regime's.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub(crate) enum RuleOrRegime<'a> {
    /// A rule, its condition in words.
    Rule(words::RuleSheet<'a>),
    /// A regime, with its rules.
    Regime(words::RegimeSheet<'a>),
}

/// The days a timeline covers, besides the check's parameters.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct Days {
    /// The first day (`YYYY-MM-DD`); none: 2022-01-01.
    from: Option<String>,
    /// The last day; none: today.
    until: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "chipgate", description = "US export controls on advanced computing chips: may this chip go to this destination, on this date, and why. Decision support, not legal advice."),
    paths(
        super::check_get, super::check_post, super::check_batch, super::timeline, super::diff, super::chips, super::chip,
        super::map, super::rules, super::rule, super::countries, super::reload, super::healthz, super::metrics_text,
        super::upload::audit, super::upload::summary,
    ),
    // The trace tree's node is recursive: its schema does not collect those it refers to.
    components(schemas(chipgate_core::eval::TraceNode, chipgate_core::eval::Test)),
    tags(
        (name = "check", description = "One chip to one destination on one date"),
        (name = "views", description = "The catalog, timelines, diffs, the map, the countries"),
        (name = "rules", description = "The rule packs in use"),
        (name = "audit", description = "Shipment lists, one verdict per row"),
        (name = "service", description = "Health, metrics, reload"),
    )
)]
struct Api;

/// The document, built once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    Api::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"cannot render the OpenAPI document: {e}\"}}"))
});

/// `GET /openapi.json`.
pub(crate) async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT.as_str()).into_response()
}

/// The document, for tests and for `chipgate serve --openapi`.
pub fn json() -> String {
    DOCUMENT.clone()
}
