//! The checks catch what they look for: deliberately bad pages, served by a small server of this
//! test beside the portal, each caught by the check meant for it. The inline script is served
//! under the portal's own CSP header, copied from a portal response.

use actix_web::{App, HttpResponse, HttpServer, web};

use crate::harness::Browser;

fn page(csp: Option<&str>, body: &str) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.content_type("text/html; charset=utf-8");
    if let Some(csp) = csp {
        res.insert_header(("content-security-policy", csp.to_owned()));
    }
    res.body(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"icon\" href=\"data:,\"><title>bad page</title></head><body><main><h1>A bad page</h1>{body}</main></body></html>"
    ))
}

/// Starts the bad pages' server; answers its port.
async fn bad_pages(csp: String) -> u16 {
    let server = HttpServer::new(move || {
        let csp = csp.clone();
        App::new()
            .route(
                "/inline",
                web::get().to({
                    let csp = csp.clone();
                    move || {
                        let csp = csp.clone();
                        async move { page(Some(&csp), "<script>document.title = 'ran';</script>") }
                    }
                }),
            )
            .route(
                "/console",
                web::get().to(move || {
                    let csp = csp.clone();
                    async move { page(Some(&csp), "<script src=\"/console.js\"></script>") }
                }),
            )
            .route(
                "/console.js",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("text/javascript")
                        .body("console.error('a deliberate error');")
                }),
            )
            .route(
                "/foreign",
                web::get().to(|req: actix_web::HttpRequest| async move {
                    // The same server under another name: another origin.
                    let port = req.app_config().local_addr().port();
                    page(
                        None,
                        &format!(
                            "<link rel=\"stylesheet\" href=\"http://localhost:{port}/plain.css\">"
                        ),
                    )
                }),
            )
            .route(
                "/plain.css",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("text/css")
                        .body("p { margin: 0; }")
                }),
            )
            .route(
                "/unnamed",
                web::get().to(|| async { page(None, "<button type=\"button\"></button>") }),
            )
            .route(
                "/wide",
                web::get().to(|| async {
                    page(None, "<div style=\"width: 900px\">wider than a phone</div>")
                }),
            )
            .route(
                "/good",
                web::get().to(|| async { page(None, "<p>Nothing wrong here.</p>") }),
            )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    port
}

pub async fn the_checks_catch_what_they_look_for(mut b: Browser) {
    let res = reqwest::get(b.url("/")).await.unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let port = bad_pages(csp).await;
    let cases = [
        ("/good", None),
        ("/inline", Some("CSP violation")),
        ("/console", Some("console error: ")),
        (
            "/foreign",
            Some("a request to another host: http://localhost:"),
        ),
        ("/unnamed", Some("axe: critical button-name")),
        ("/wide", Some("horizontal scrolling at 360 px")),
    ];
    for (path, expected) in cases {
        let url = format!("http://127.0.0.1:{port}{path}");
        b.wd.goto(&url).await.unwrap();
        let found = b.findings(200).await;
        match expected {
            None => assert!(found.is_empty(), "{path}: {found:?}"),
            Some(what) => {
                assert!(
                    found.iter().any(|f| f.starts_with(what)),
                    "{path} should be caught with {what:?}: {found:?}"
                );
            }
        }
    }
    // With JavaScript off the page's script does not run, and the checks still do.
    b.javascript(false).await;
    b.wd.goto(&format!("http://127.0.0.1:{port}/console"))
        .await
        .unwrap();
    let found = b.findings(200).await;
    assert!(found.is_empty(), "no script ran: {found:?}");
    b.javascript(true).await;
    // axe-core ran on the portal's own pages too, under its CSP, without a violation.
    b.visit("/").await;
}
