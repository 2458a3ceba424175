//! Paginated lists: a page type names its `next` cursor URL and its items; [`paginate`] turns
//! the first request into a lazy stream of every item on every page.

use crate::error::Error;
use crate::runtime::RequestSpec;
use crate::Client;
use futures::Stream;
use std::collections::HashSet;
use std::pin::Pin;

/// A page of a paginated list (implemented by generated page types).
pub trait Page: serde::de::DeserializeOwned + Send {
    /// The item type.
    type Item: Send;
    /// The absolute URL of the next page, if any.
    fn next_url(&self) -> Option<&str>;
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
/// ends the stream with [`Error::Protocol`] after the items already yielded.
pub fn paginate<'a, P: Page + 'a>(
    client: &'a Client,
    first: Result<RequestSpec, Error>,
) -> ItemStream<'a, P::Item> {
    Box::pin(async_stream::try_stream! {
        let mut request = first?;
        let operation = request.operation;
        let mut visited: HashSet<String> = HashSet::new();
        visited.insert(request.url(client.base_url())?.to_string());
        loop {
            let template = request.clone();
            let page: P = client.execute(request).await?.json()?;
            let next = page.next_url().map(str::to_string);
            for item in page.into_items() {
                yield item;
            }
            let url = match next {
                Some(url) if !url.is_empty() => url,
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
