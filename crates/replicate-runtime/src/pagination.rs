//! Paginated lists: a page type names its `next` cursor URL and its items; [`paginate`] turns
//! the first request into a lazy stream of every item on every page.

use crate::error::Error;
use crate::runtime::{RawResponse, RequestSpec};
use crate::Client;
use futures_util::{Stream, StreamExt};
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
        futures_util::stream::iter(items)
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
    let cursor = Cursor {
        client,
        next: Some(first),
        visited: HashSet::new(),
        stop,
    };
    Box::pin(futures_util::stream::unfold(
        cursor,
        |mut cursor| async move {
            if cursor.next.is_none() || cursor.stop.load(Ordering::Relaxed) {
                return None;
            }
            let step = cursor.fetch().await;
            Some((step, cursor))
        },
    ))
}

/// Where a list is: the next request (or the error that ends the list), and every page URL
/// followed so far.
struct Cursor<'a> {
    client: &'a Client,
    next: Option<Result<RequestSpec, Error>>,
    visited: HashSet<String>,
    stop: Arc<AtomicBool>,
}

impl Cursor<'_> {
    /// Fetches the next page and works out the request after it; an error ends the list
    /// after it is reported.
    async fn fetch(&mut self) -> Result<RawResponse, Error> {
        let Some(next) = self.next.take() else {
            // `pages` ends the stream before this; kept total rather than panicking.
            return Err(Error::Protocol {
                operation: "pagination",
                message: "the list was read past its end".into(),
            });
        };
        let request = next?;
        if self.visited.is_empty() {
            self.visited
                .insert(request.url(self.client.base_url())?.to_string());
        }
        let template = request.clone();
        let raw = self.client.execute(request).await?;
        let next = serde_json::from_slice::<NextLink>(raw.body())
            .ok()
            .and_then(|link| link.next)
            .filter(|url| !url.is_empty());
        if let Some(url) = next {
            self.next = Some(self.follow(template, url));
        }
        Ok(raw)
    }

    /// The request for `url`, unless following it would loop or go past [`MAX_PAGES`].
    fn follow(&mut self, template: RequestSpec, url: String) -> Result<RequestSpec, Error> {
        let operation = template.operation;
        // Compared as parsed URLs, so spelling differences do not hide a loop.
        let canonical = reqwest::Url::parse(&url)
            .map(String::from)
            .unwrap_or_else(|_| url.clone());
        if !self.visited.insert(canonical) {
            return Err(Error::Protocol {
                operation,
                message: format!(
                    "the `next` link {} was already followed: the list loops",
                    crate::error::snippet(url.as_bytes())
                ),
            });
        }
        if self.visited.len() >= MAX_PAGES {
            return Err(Error::Protocol {
                operation,
                message: format!("the list has more than {MAX_PAGES} pages"),
            });
        }
        Ok(template.follow(url))
    }
}
