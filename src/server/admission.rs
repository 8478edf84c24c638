//! Who holds the server's connection slots: no client address more than
//! its share, and at the overall cap the longest-idle keep-alive
//! connection gives way to a newcomer (contract §11).
//!
//! A connection closed while idle between requests is what HTTP/1.1
//! keep-alive allows at any time (clients retry on a new connection); one
//! told to give way while it serves a request finishes that request first
//! and answers it with `Connection: close` ([`super::connection`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use super::activity::Activity;

/// The open connections, by client address.
pub(super) struct Admission {
    /// Connections one client address may hold at once (`None`: no cap).
    per_client: Option<usize>,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    open: HashMap<u64, Open>,
    per_client: HashMap<IpAddr, usize>,
}

struct Open {
    client: IpAddr,
    activity: Arc<Activity>,
}

impl Admission {
    pub(super) fn new(per_client: Option<usize>) -> Arc<Self> {
        Arc::new(Admission {
            per_client: per_client.filter(|cap| *cap > 0),
            table: Mutex::new(Table::default()),
        })
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `client` holds as many connections as it may.
    pub(super) fn client_at_cap(&self, client: IpAddr) -> bool {
        self.per_client
            .is_some_and(|cap| self.table().per_client.get(&client).copied().unwrap_or(0) >= cap)
    }

    /// Counts a connection of `client` (one the accept loop found under
    /// [`Admission::client_at_cap`]: only that loop admits) until the
    /// returned ticket is dropped.
    pub(super) fn admit(self: &Arc<Self>, client: IpAddr, activity: Arc<Activity>) -> Ticket {
        let mut table = self.table();
        table.next_id += 1;
        let id = table.next_id;
        table.open.insert(id, Open { client, activity });
        *table.per_client.entry(client).or_default() += 1;
        Ticket {
            admission: Arc::clone(self),
            id,
        }
    }

    /// Tells the connection idle for longest (between requests) to close;
    /// returns whether there was one.
    pub(super) fn evict_longest_idle(&self) -> bool {
        let table = self.table();
        let longest = table
            .open
            .values()
            .filter(|open| !open.activity.told_to_give_way())
            .filter_map(|open| Some((open.activity.idle_since()?, &open.activity)))
            .min_by_key(|(since, _)| *since);
        match longest {
            Some((_, activity)) => {
                activity.give_way();
                true
            }
            None => false,
        }
    }

    fn release(&self, id: u64) {
        let mut table = self.table();
        let Some(open) = table.open.remove(&id) else {
            return;
        };
        if let Some(held) = table.per_client.get_mut(&open.client) {
            *held -= 1;
            if *held == 0 {
                table.per_client.remove(&open.client);
            }
        }
    }
}

/// An admitted connection's place in the table.
pub(super) struct Ticket {
    admission: Arc<Admission>,
    id: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.release(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::Admission;
    use crate::server::activity::Activity;
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::Arc;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn a_client_holds_no_more_than_its_share_and_gets_it_back() {
        let admission = Admission::new(Some(2));
        let first = admission.admit(A, Arc::new(Activity::new()));
        assert!(!admission.client_at_cap(A));
        let _second = admission.admit(A, Arc::new(Activity::new()));
        assert!(admission.client_at_cap(A));
        assert!(!admission.client_at_cap(B));
        drop(first);
        assert!(!admission.client_at_cap(A));
    }

    #[test]
    fn no_cap_admits_any_number() {
        for cap in [None, Some(0)] {
            let admission = Admission::new(cap);
            let tickets: Vec<_> = (0..100)
                .map(|_| admission.admit(A, Arc::new(Activity::new())))
                .collect();
            assert_eq!(tickets.len(), 100);
            assert!(!admission.client_at_cap(A));
        }
    }

    #[test]
    fn only_an_idle_connection_is_told_to_give_way() {
        let admission = Admission::new(None);
        let opened = Arc::new(Activity::new());
        let _ticket = admission.admit(A, Arc::clone(&opened));
        assert!(!admission.evict_longest_idle(), "none is idle yet");
        opened.read();
        assert!(!admission.evict_longest_idle(), "a request is arriving");
        opened.answer_ended();
        assert!(admission.evict_longest_idle());
        assert!(opened.told_to_give_way());
    }
}
