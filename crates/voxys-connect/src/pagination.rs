//! [`Page`] and the pager that walks every page of a list.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, FuturesUnordered, Stream, StreamExt, TryStreamExt};
use voxys_connect_api::PaginationMeta;

use crate::Client;
use crate::error::{Error, Result};

/// One page of a list: its items and where it stands in the whole result.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    items: Vec<T>,
    meta: PaginationMeta,
}

impl<T> Page<T> {
    pub(crate) fn new(items: Vec<T>, meta: PaginationMeta) -> Page<T> {
        Page { items, meta }
    }

    /// The items of this page, in the requested order.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The items, owned.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// How many items this page holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether this page holds no items (a page past the last one is empty).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The number of this page, from 1.
    pub fn current_page(&self) -> u64 {
        self.meta.current_page
    }

    /// How many pages the whole result has.
    pub fn total_pages(&self) -> u64 {
        self.meta.total_pages
    }

    /// How many items match the request, over all pages.
    pub fn total_count(&self) -> u64 {
        self.meta.total_count
    }

    /// The number of the next page, or `None` on the last page.
    pub fn next_page(&self) -> Option<u64> {
        (self.meta.current_page < self.meta.total_pages).then(|| self.meta.current_page + 1)
    }

    /// The pagination metadata as the server sent it, members this SDK does
    /// not know included.
    pub fn meta(&self) -> &PaginationMeta {
        &self.meta
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Page<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<T> fmt::Display for Page<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "page {} of {}: {} of {} items",
            self.current_page(),
            self.total_pages(),
            self.len(),
            self.total_count()
        )
    }
}

/// What the pager needs of a list request.
pub(crate) trait PageSource: Clone + Send + Sync + 'static {
    /// The item type.
    type Item: Send + 'static;
    /// The API operation, for errors.
    const OPERATION: &'static str;
    /// Fetches one page, with retries.
    fn fetch(&self, page: u64) -> BoxFuture<'static, Result<Page<Self::Item>>>;
    /// A key that identifies an item, to notice a page served twice.
    fn key(item: &Self::Item) -> i64;
    /// The client the pages are fetched with.
    fn client(&self) -> &Client;
}

/// A page request under way, with the number of the page it asks for.
type PageFetch<T> = BoxFuture<'static, (u64, Result<Page<T>>)>;

/// How far ahead of the page to hand out next the pager may request, in
/// multiples of the concurrency, when the client's adaptive rate limit is
/// on (the default). While
/// one page waits (a retry waiting out a `Retry-After` of a second, say),
/// the other slots keep fetching the pages after it, which are held until
/// it comes; past this many, the pager waits for it. At 16 at a time that
/// is 128 pages, more than a limit of 100 requests a second lets through
/// while one page waits a second: in the rate-limit bench, an export
/// through a token bucket that sends `Retry-After` went from 83% to 98% of
/// the fastest possible (at 4 times the concurrency, 92%; BENCHMARKS.md,
/// "Pages that wait").
///
/// A client with the adaptive limit off reads ahead by the concurrency
/// only, as a page that waits is then a request backing off on its own
/// (a maximum rate does not change that: it may be above the server's
/// limit, or other clients may share the limit): pages fetched past it
/// would keep the server's limit spent, its backoff would grow to the
/// policy's longest, and the export would wait on it. In the rate-limit
/// bench, whose retry policy allows 50 attempts, an export through a
/// sliding window went from 8 s to over 5 minutes; with the default
/// policy's 5 attempts it would have failed.
pub(crate) const READ_AHEAD: u64 = 8;

struct Pager<S: PageSource> {
    source: S,
    concurrency: usize,
    /// How many pages, from the head on, may be requested or held: the
    /// concurrency times [`READ_AHEAD`] when the client's adaptive rate
    /// limit is on, else the concurrency (at least 1 either way).
    span: u64,
    /// The next page number to request.
    next: u64,
    /// The next page number to hand out.
    head: u64,
    /// The last page as the most recent answer counts them; `None` before
    /// the first answer.
    last_page: Option<u64>,
    /// Requests under way: at most `concurrency`.
    in_flight: FuturesUnordered<PageFetch<S::Item>>,
    /// Answers that came before the page to hand out, by page number.
    answered: BTreeMap<u64, Result<Page<S::Item>>>,
    /// The first page answered with an error: the stream ends there unless
    /// the list ends before it, so no page past it is requested.
    failed: Option<u64>,
    /// A fingerprint of each page handed out (a hash of its items' keys),
    /// with the page's number: a server that serves a page again, right after
    /// or pages later, is noticed, in memory that grows with the pages only.
    seen: HashMap<u64, u64>,
    yielded_any: bool,
    done: bool,
}

impl<S: PageSource> Pager<S> {
    /// Starts requests up to the concurrency, for pages known to exist and
    /// within `span` of the next to hand out.
    fn top_up(&mut self) {
        let limit = match self.last_page {
            // Until the first answer, only the first page is known to exist.
            None if self.in_flight.is_empty() && !self.yielded_any => self.next,
            None => return,
            Some(last) => last,
        };
        let limit = limit
            .min(self.head.saturating_add(self.span - 1))
            .min(self.failed.unwrap_or(u64::MAX));
        while self.in_flight.len() < self.concurrency && self.next <= limit {
            let number = self.next;
            let fetch = self.source.fetch(number);
            self.in_flight
                .push(Box::pin(async move { (number, fetch.await) }));
            self.next += 1;
        }
    }

    /// Checks an answer against the pages before it; `Err` stops the pager.
    fn check(&mut self, number: u64, page: &Page<S::Item>) -> Result<()> {
        if page.is_empty() {
            return Ok(());
        }
        if page.current_page() != number {
            return Err(Error::Pagination {
                operation: S::OPERATION,
                page: number,
                message: format!(
                    "asked for page {number}, the server answered page {}; it may not support the `page` parameter",
                    page.current_page()
                ),
            });
        }
        let mut hasher = DefaultHasher::new();
        for item in page.items() {
            S::key(item).hash(&mut hasher);
        }
        let fingerprint = hasher.finish();
        if let Some(earlier) = self.seen.insert(fingerprint, number) {
            return Err(Error::Pagination {
                operation: S::OPERATION,
                page: number,
                message: format!(
                    "page {number} holds the same {} items as page {earlier}; the server repeats pages, so reading on would never end",
                    page.len(),
                ),
            });
        }
        Ok(())
    }

    /// Ends the stream: drops the requests under way and the pages held.
    fn finish(&mut self) {
        self.done = true;
        self.in_flight = FuturesUnordered::new();
        self.answered.clear();
    }

    /// The next page to hand out, or `None` when the list is exhausted.
    async fn next_page(&mut self) -> Option<Result<Page<S::Item>>> {
        if self.done {
            return None;
        }
        let number = self.head;
        let result = loop {
            if let Some(result) = self.answered.remove(&number) {
                break result;
            }
            self.top_up();
            let Some((answered, result)) = self.in_flight.next().await else {
                // Every page from the head to the next to request is under
                // way or held, and the head is requested when nothing is:
                // this cannot happen, and is not taken for the list's end.
                self.finish();
                return Some(Err(Error::Pagination {
                    operation: S::OPERATION,
                    page: number,
                    message: format!(
                        "page {number} was never requested (a defect of voxys-connect: please report it)"
                    ),
                }));
            };
            if result.is_err() {
                self.failed = Some(self.failed.map_or(answered, |f| f.min(answered)));
            }
            self.answered.insert(answered, result);
        };
        self.head += 1;
        let page = match result {
            Ok(page) => page,
            Err(error) => {
                self.finish();
                return Some(Err(error));
            }
        };
        if let Err(error) = self.check(number, &page) {
            self.finish();
            return Some(Err(error));
        }
        // The most recent answer is the best count of pages: the list may grow
        // or shrink while it is read.
        self.last_page = Some(page.total_pages());
        if page.is_empty() || number >= page.total_pages() {
            self.finish();
        }
        // An empty page is only worth handing out when it is the only one (an
        // empty list still has totals to tell).
        if page.is_empty() && self.yielded_any {
            return None;
        }
        self.yielded_any = true;
        Some(Ok(page))
    }
}

/// Every page of a list from `first`, in order, as a boxed stream: the
/// pages, or the one error `check` gives (a parameter out of range) before
/// any request.
pub(crate) fn checked_pages<S: PageSource>(
    source: S,
    check: Result<()>,
    first: u64,
    concurrency: usize,
) -> BoxStream<'static, Result<Page<S::Item>>> {
    match check {
        Ok(()) => pages(source, first, concurrency).boxed(),
        Err(error) => stream::once(async { Err(error) }).boxed(),
    }
}

/// The items of every page of `pages`, in order.
pub(crate) fn items<T: Send + 'static>(
    pages: BoxStream<'static, Result<Page<T>>>,
) -> BoxStream<'static, Result<T>> {
    pages
        .map_ok(|page| stream::iter(page.into_items().into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// Every page of a list from `first`, in order, fetching up to `concurrency`
/// pages at once once the first answer has said how many there are, and
/// holding at most [`READ_AHEAD`] times `concurrency` pages (`concurrency`
/// pages for a client with the adaptive rate limit off).
pub(crate) fn pages<S: PageSource>(
    source: S,
    first: u64,
    concurrency: usize,
) -> impl Stream<Item = Result<Page<S::Item>>> + Send + 'static {
    let concurrency = concurrency.max(1);
    let read_ahead = if source.client().adapts() {
        READ_AHEAD
    } else {
        1
    };
    let span = read_ahead.saturating_mul(concurrency as u64);
    let pager = Pager {
        source,
        concurrency,
        span,
        next: first,
        head: first,
        last_page: None,
        in_flight: FuturesUnordered::new(),
        answered: BTreeMap::new(),
        failed: None,
        seen: HashMap::new(),
        yielded_any: false,
        done: false,
    };
    stream::unfold(pager, |mut pager| async move {
        let item = pager.next_page().await?;
        Some((item, pager))
    })
}
