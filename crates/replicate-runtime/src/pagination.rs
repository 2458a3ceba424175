//! Paginated lists: a page type names its `next` cursor URL and its items; [`paginate`] turns
//! the first request into a lazy stream of every item on every page.

use crate::error::Error;
use crate::runtime::{RawResponse, RequestSpec};
use crate::Client;
use futures::{Stream, StreamExt};
use std::collections::HashSet;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A page of a paginated list (implemented by generated page types). Its JSON names the
/// absolute URL of the next page in a `next` field (`null` or absent on the last page), which
/// is how the generator recognises a page.
pub trait Page: serde::de::DeserializeOwned + Send {
    /// The item type.
    type Item: Send;
    /// The items of this page.
    fn into_items(self) -> Vec<Self::Item>;
}

/// A stream of items across pages.
pub type ItemStream<'a, T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'a>>;

/// Most pages one list is followed through (a million items at Replicate's page size).
pub const MAX_PAGES: usize = 10_000;

/// Streams every item of every page, following `next` URLs. Nothing is requested until the
/// stream is polled; each page is fetched (with the client's retries) only when the items of
/// the previous one are used up. A `next` URL seen before, or more than [`MAX_PAGES`] pages,
/// ends the stream with [`Error::Protocol`] after the items already yielded; so does a page
/// that does not decode, before any further page is fetched.
pub fn paginate<'a, P: Page + 'a>(
    client: &'a Client,
    first: Result<RequestSpec, Error>,
) -> ItemStream<'a, P::Item> {
    // Only decoding is per page type; fetching and following links is `pages`, compiled once.
    let failed = Arc::new(AtomicBool::new(false));
    let stop = failed.clone();
    Box::pin(pages(client, first, stop).flat_map(move |page| {
        let items: Vec<Result<P::Item, Error>> = match page.and_then(|raw| raw.json::<P>()) {
            Ok(page) => page.into_items().into_iter().map(Ok).collect(),
            Err(e) => {
                failed.store(true, Ordering::Relaxed);
                vec![Err(e)]
            }
        };
        futures::stream::iter(items)
    }))
}

/// The `next` link of a page, read from its JSON.
#[derive(serde::Deserialize)]
struct NextLink {
    #[serde(default)]
    next: Option<String>,
}

/// Every page of a list as it came, following `next` links until there is none, a link
/// loops, [`MAX_PAGES`] is reached, or `stop` is set (a page did not decode).
fn pages<'a>(
    client: &'a Client,
    first: Result<RequestSpec, Error>,
    stop: Arc<AtomicBool>,
) -> Pin<Box<dyn Stream<Item = Result<RawResponse, Error>> + Send + 'a>> {
    Box::pin(async_stream::try_stream! {
        let mut request = first?;
        let operation = request.operation;
        let mut visited: HashSet<String> = HashSet::new();
        visited.insert(request.url(client.base_url())?.to_string());
        loop {
            let template = request.clone();
            let raw = client.execute(request).await?;
            let next = serde_json::from_slice::<NextLink>(raw.body())
                .ok()
                .and_then(|link| link.next);
            yield raw;
            let url = match next {
                Some(url) if !url.is_empty() && !stop.load(Ordering::Relaxed) => url,
                _ => break,
            };
            // Compared as parsed URLs, so spelling differences do not hide a loop.
            let canonical = reqwest::Url::parse(&url).map(String::from).unwrap_or_else(|_| url.clone());
            if !visited.insert(canonical) {
                Err(Error::Protocol {
                    operation,
                    message: format!("the `next` link {url} was already followed: the list loops"),
                })?;
            }
            if visited.len() >= MAX_PAGES {
                Err(Error::Protocol {
                    operation,
                    message: format!("the list has more than {MAX_PAGES} pages"),
                })?;
            }
            request = template.follow(url);
        }
    })
}
