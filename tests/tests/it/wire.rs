//! What generated clients put on the wire for the constructs vendors' documents use: a crate
//! built from the two vendor-shaped specs builds requests (`into_request`, no server needed)
//! and prints each URL and decoded form body, and decodes a discriminated `oneOf`; the test
//! compares them with what OpenAPI's `style`/`explode` rules, the bracket notation and the
//! discriminator say.

use replicate_codegen::GeneratedFile;
use replicate_e2e::{
    check_target_dir, member_options, scratch_cargo, scratch_manifest, workspace_root,
};
use std::fs;

/// The program: one block per request, `METHOD path?query`, then headers it set, then the
/// form body's pairs decoded and sorted (field order follows the JSON map, which is no part of
/// the contract).
const MAIN: &str = r##"
use replicate_runtime::runtime::{RequestBody, RequestSpec};
use wire_billing::types as b;
use wire_platform::types as p;

fn show(label: &str, request: Result<RequestSpec, replicate_runtime::Error>) {
    let request = request.unwrap_or_else(|e| panic!("{label}: {e}"));
    let url = request.url("http://127.0.0.1:9").unwrap();
    println!("{label}: {} {}{}", request.method, url.path(), url.query().map(|q| format!("?{q}")).unwrap_or_default());
    for (name, value) in &request.headers {
        println!("  header {name}: {value}");
    }
    if let RequestBody::Bytes { content_type, bytes } = &request.body {
        println!("  body {content_type}");
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.sort();
        for (k, v) in pairs {
            println!("  {k}={v}");
        }
    }
}

fn main() {
    let billing = wire_billing::Client::new("t");
    let mut create = b::SubscriptionsCreateRequest::new(
        "cus_1",
        vec![
            b::SubscriptionsCreateRequestItemsItem { price: "p1".into(), quantity: Some(2), metadata: None },
            b::SubscriptionsCreateRequestItemsItem { price: "p 2".into(), quantity: None, metadata: Some([("k".to_string(), "v&w".to_string())].into()) },
        ],
    );
    create.metadata = Some([("plan".to_string(), "pro".to_string())].into());
    create.expand = Some(vec!["latest_invoice".into(), "customer".into()]);
    show("subscriptions.create", billing.subscriptions().create(create).idempotency_key("k-1").into_request());
    let range = b::RangeQuery { gte: Some(10), lt: Some(20), ..Default::default() };
    show(
        "customers.list",
        billing.customers().list().created(b::CustomersListCreated::RangeQuery(range)).limit(5).expand(vec!["a".to_string(), "b".to_string()]).into_request(),
    );
    show("customers.list by integer", billing.customers().list().created(b::CustomersListCreated::Integer(7)).into_request());
    show("invoices.retrieve integer", billing.invoices().retrieve(b::InvoicesRetrieveInvoice::Integer(42)).into_request());
    show("invoices.retrieve string", billing.invoices().retrieve(b::InvoicesRetrieveInvoice::String("in/1".into())).into_request());

    let platform = wire_platform::Client::new("t");
    let filter = p::RepoFilter {
        visibility: Some(vec![p::Visibility::Public, p::Visibility::Private]),
        pushed: Some(p::RepoFilterPushed { after: Some("2026-01-01T00:00:00Z".into()), before: None }),
        ..Default::default()
    };
    show(
        "repos.search",
        platform
            .repos()
            .search(p::ReposSearchOrg::Integer(7))
            .filter(filter)
            .page(p::PageRequest { per_page: Some(10), cursor: None })
            .labels([("team".to_string(), "core".to_string())].into_iter().collect::<std::collections::BTreeMap<_, _>>())
            .fields(vec!["name".to_string(), "stars".to_string()])
            .x_orbit_include(vec![p::ReposSearchXOrbitIncludeItem::Stats, p::ReposSearchXOrbitIncludeItem::Topics])
            .into_request(),
    );
    show(
        "deployments.list",
        platform
            .deployments()
            .list(p::RepoRef::String("orbit/site".into()))
            .creators(vec![p::RepoRef::Integer(1), p::RepoRef::String("x".into())])
            .into_request(),
    );
    show(
        "deployments.statuses",
        platform.deployments().statuses(vec!["d1".to_string(), "a,b".to_string()]).into_request(),
    );
    let mut token = p::OauthTokenRequest::new(p::OauthTokenRequestGrantType::ClientCredentials);
    token.scope = Some(vec![p::Scope::RepoXRead, p::Scope::Deploy]);
    show("oauth.token", platform.oauth().token(token).into_request());
    let filter = p::EventsListWhere { actor: Some("ada".into()), since: Some(7) };
    show(
        "events.list",
        platform.events().list().where_(filter).orbit_session("s 1;x").theme(p::EventsListTheme::Dark).into_request(),
    );

    // A dog has every field a cat has: only the discriminator tells them apart.
    let pets: wire_pets::types::PetsListResponse = serde_json::from_str(
        r#"{"pets": [{"pet_type": "dog", "name": "Rex", "barks": true}, {"pet_type": "cat", "name": "Tom"},
                     {"pet_type": "hound", "name": "Hal"}, {"pet_type": "Fish", "fins": 2}]}"#,
    )
    .unwrap();
    for pet in &pets.pets {
        println!("pet: {pet:?}");
    }
    // A kind a newer server added is kept, not an error that loses the whole list.
    let bird: wire_pets::types::Pet = serde_json::from_str(r#"{"pet_type": "bird", "wings": 2}"#).unwrap();
    println!("new kind: {bird:?}");
    let untagged = serde_json::from_str::<wire_pets::types::Pet>(r#"{"name": "Rex"}"#).unwrap_err();
    println!("no tag: {untagged}");
    let wrong = serde_json::from_str::<wire_pets::types::Pet>(r#"{"pet_type": "dog", "name": 5}"#).unwrap_err();
    println!("wrong field: {wrong}");
}
"##;

/// What the program must print.
const EXPECTED: &str = r#"subscriptions.create: POST /subscriptions
  header Idempotency-Key: k-1
  body application/x-www-form-urlencoded
  customer=cus_1
  expand=customer
  expand=latest_invoice
  items[0][price]=p1
  items[0][quantity]=2
  items[1][metadata][k]=v&w
  items[1][price]=p 2
  metadata[plan]=pro
customers.list: GET /customers?limit=5&created%5Bgte%5D=10&created%5Blt%5D=20&expand=a&expand=b
customers.list by integer: GET /customers?created=7
invoices.retrieve integer: GET /invoices/42
invoices.retrieve string: GET /invoices/in%2F1
repos.search: GET /orgs/7/repos?filter%5Bpushed%5D%5Bafter%5D=2026-01-01T00%3A00%3A00Z&filter%5Bvisibility%5D%5B0%5D=public&filter%5Bvisibility%5D%5B1%5D=private&per_page=10&team=core&fields=name+stars
  header X-Orbit-Include: stats,topics
deployments.list: GET /repos/orbit%2Fsite/deployments?creators=1%2Cx
deployments.statuses: GET /deployments/d1,a%2Cb/statuses
oauth.token: POST /oauth/token
  body application/x-www-form-urlencoded
  grant_type=client_credentials
  scope=deploy
  scope=repo:read
events.list: GET /events?where=%7B%22actor%22%3A%22ada%22%2C%22since%22%3A7%7D
  header Cookie: orbit_session=s%201%3Bx; theme=dark
pet: Dog(Dog { pet_type: "dog", name: "Rex", barks: Some(true) })
pet: Cat(Cat { pet_type: "cat", name: "Tom" })
pet: Dog(Dog { pet_type: "hound", name: "Hal", barks: None })
pet: Fish(Fish { pet_type: "Fish", fins: Some(2) })
new kind: Unknown(Object {"pet_type": String("bird"), "wings": Number(2)})
no tag: `pet_type`, which names the variant, is missing
wrong field: as Dog, at `name`: invalid type: integer `5`, expected a string
"#;

#[test]
fn generated_clients_write_parameters_and_forms_as_their_styles_say() {
    let root = workspace_root();
    let dir = root.join("target/generated-check/wire");
    let _ = fs::remove_dir_all(&dir);
    let mut files: Vec<GeneratedFile> = Vec::new();
    for (spec, name) in [
        ("vendor_billing", "wire-billing"),
        ("vendor_platform", "wire-platform"),
        ("discriminator", "wire-pets"),
    ] {
        let label = format!("tests/specs/{spec}.yaml");
        let text = fs::read_to_string(root.join(&label)).unwrap();
        let generated =
            replicate_codegen::generate_standalone(&text, &member_options(name, &label))
                .unwrap_or_else(|e| panic!("{label}: {e}"));
        files.extend(generated.files.into_iter().map(|f| GeneratedFile {
            path: format!("{name}/{}", f.path),
            contents: f.contents,
        }));
    }
    files.push(GeneratedFile {
        path: "wire-check/Cargo.toml".into(),
        contents: scratch_manifest(
            "wire-check",
            &[],
            "wire-billing = { path = \"../wire-billing\" }\nwire-platform = { path = \"../wire-platform\" }\n\
             wire-pets = { path = \"../wire-pets\" }\nurl = \"2\"\n",
        ),
    });
    files.push(GeneratedFile {
        path: "wire-check/src/main.rs".into(),
        contents: MAIN.into(),
    });
    files.push(GeneratedFile {
        path: "Cargo.toml".into(),
        contents: "[workspace]\nresolver = \"2\"\nmembers = [\"wire-billing\", \"wire-platform\", \"wire-pets\", \"wire-check\"]\n".into(),
    });
    for f in &files {
        let path = dir.join(&f.path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &f.contents).unwrap();
    }
    // Same dependency versions as the main workspace, and no network.
    fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let output = scratch_cargo(&dir, &check_target_dir())
        .args(["run", "--offline", "--quiet", "-p", "wire-check"])
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the wire check failed to build or run:\n{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout, EXPECTED);
}
