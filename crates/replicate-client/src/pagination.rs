//! Paginated lists: a page type names its `next` cursor URL and its items; [`paginate`] turns
//! the first request into a lazy stream of every item on every page.

use crate::error::Error;
use crate::runtime::RequestSpec;
use crate::Client;
use futures::Stream;
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

/// Streams every item of every page, following `next` URLs. Nothing is requested until the
/// stream is polled; each page is fetched (with the client's retries) only when the items of
/// the previous one are used up.
pub fn paginate<'a, P: Page + 'a>(
    client: &'a Client,
    first: Result<RequestSpec, Error>,
) -> ItemStream<'a, P::Item> {
    Box::pin(async_stream::try_stream! {
        let mut request = first?;
        loop {
            let template = request.clone();
            let page: P = client.execute(request).await?.json()?;
            let next = page.next_url().map(str::to_string);
            for item in page.into_items() {
                yield item;
            }
            match next {
                Some(url) if !url.is_empty() => request = template.follow(url),
                _ => break,
            }
        }
    })
}
