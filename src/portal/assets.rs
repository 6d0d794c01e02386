//! The portal's static files (`assets/` in the repository), embedded in the binary and served
//! at `/assets/{name}`. Pages link them as `/assets/{name}?v={hash}`: the content's own hash,
//! so a file can be cached for a year and a new build still gets its new files.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Files;

/// The first 16 hex digits of the content's SHA-256.
fn hash_of(name: &str) -> String {
    Files::get(name)
        .map(|f| hex::encode(&f.metadata.sha256_hash()[..8]))
        .unwrap_or_default()
}

static CSS: LazyLock<String> =
    LazyLock::new(|| format!("/assets/portal.css?v={}", hash_of("portal.css")));
static JS: LazyLock<String> =
    LazyLock::new(|| format!("/assets/portal.js?v={}", hash_of("portal.js")));

static ICON: LazyLock<String> =
    LazyLock::new(|| format!("/assets/icon.svg?v={}", hash_of("icon.svg")));

/// The address of the site's icon (the browser tab's).
pub fn icon() -> &'static str {
    &ICON
}

/// The address of the stylesheet, with its hash.
pub fn css() -> &'static str {
    &CSS
}

/// The address of the small script (every page works without it).
pub fn js() -> &'static str {
    &JS
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

#[get("/assets/{name:.*}")]
pub async fn asset(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(file) = Files::get(&name) else {
        return HttpResponse::NotFound().finish();
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..8]));
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut answer = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    answer
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"));
    if fresh {
        return answer.finish();
    }
    answer
        .content_type(content_type(&name))
        .body(file.data.into_owned())
}
