//! What the tray shows for each state of the agent: icon, title, tooltip,
//! and which menu entries make sense. Pure functions of the last status, so
//! they are tested without a bus.

use std::time::{Duration, Instant};

use idp_proto::{State, Status};

/// What the tray knows about the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agent {
    /// Before the first answer.
    Connecting,
    /// No agent could be reached or started; the reason, for the tooltip.
    Down(String),
    /// The agent's last status, and when it arrived (for the countdown).
    Up(Box<Status>, Instant),
}

/// The states a person tells apart, one icon each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    NoAgent,
    NoVault,
    Locked,
    KeyUnknown,
    Unlocked,
}

impl Agent {
    pub fn look(&self) -> Look {
        match self {
            Agent::Connecting | Agent::Down(_) => Look::NoAgent,
            Agent::Up(s, _) => match s.state {
                State::NoVault | State::Damaged => Look::NoVault,
                State::Locked { key_known: true } => Look::Locked,
                State::Locked { key_known: false } => Look::KeyUnknown,
                State::Unlocked => Look::Unlocked,
            },
        }
    }

    /// Icon names; the SVGs are in `tray/icons/`, installed into the
    /// hicolor theme.
    pub fn icon_name(&self) -> &'static str {
        match self.look() {
            Look::NoAgent | Look::NoVault => "idp-vault-absent",
            Look::Locked => "idp-vault-locked",
            Look::KeyUnknown => "idp-vault-key-needed",
            Look::Unlocked => "idp-vault-unlocked",
        }
    }

    /// One line: the item's title and the tooltip's heading.
    pub fn title(&self) -> String {
        let state = match self {
            Agent::Connecting => "starting".to_owned(),
            Agent::Down(_) => "agent not running".to_owned(),
            Agent::Up(s, _) => match s.state {
                State::NoVault => "no vault".to_owned(),
                State::Damaged => "vault header damaged".to_owned(),
                State::Locked { key_known: true } => "locked".to_owned(),
                State::Locked { key_known: false } => "locked, client key needed".to_owned(),
                State::Unlocked => match s.items {
                    Some(1) => "unlocked, 1 item".to_owned(),
                    Some(n) => format!("unlocked, {n} items"),
                    None => "unlocked".to_owned(),
                },
            },
        };
        format!("idp-vault: {state}")
    }

    /// The tooltip's text: what to do next, or time to auto-lock.
    pub fn description(&self, now: Instant) -> String {
        match self {
            Agent::Connecting => "Looking for idp-agent.".into(),
            Agent::Down(reason) => format!("{reason}. Trying again."),
            Agent::Up(s, at) => match s.state {
                State::NoVault => format!(
                    "No vault in {}: create one with `idp init`.",
                    idp_proto::text::shown(&s.vault_dir)
                ),
                State::Damaged => format!(
                    "The vault header in {} is damaged: restore vault.idp from your sync \
                     tool's history or another device.",
                    idp_proto::text::shown(&s.vault_dir)
                ),
                State::Locked { key_known: true } => "Unlock asks for your password.".into(),
                State::Locked { key_known: false } => "This device does not know the client key: \
                     Unlock asks for it (it is on your emergency kit), or drop the kit into Downloads."
                    .into(),
                State::Unlocked => {
                    let passed = now.saturating_duration_since(*at);
                    let left = |secs: Option<u64>| {
                        secs.map(|s| Duration::from_secs(s).saturating_sub(passed))
                    };
                    match (left(s.idle_lock_in), left(s.max_lock_in)) {
                        (Some(idle), Some(max)) => format!(
                            "Locks in {} if idle, at the latest in {}.",
                            span(idle),
                            span(max)
                        ),
                        _ => "Unlocked.".into(),
                    }
                }
            },
        }
    }

    pub fn can_unlock(&self) -> bool {
        matches!(self.look(), Look::Locked | Look::KeyUnknown)
    }

    pub fn is_unlocked(&self) -> bool {
        self.look() == Look::Unlocked
    }

    /// Whether unlocking also needs the client key.
    pub fn key_needed(&self) -> bool {
        self.look() == Look::KeyUnknown
    }
}

/// A rounded duration for a tooltip: `45 s`, `14 min`, `11 h 59 min`.
pub fn span(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60) {
        (0, 0) => format!("{s} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: State) -> Status {
        Status {
            state,
            generation: 1,
            vault_dir: "/v".into(),
            vault: None,
            items: (state == State::Unlocked).then_some(3),
            idle_lock_in: (state == State::Unlocked).then_some(900),
            max_lock_in: (state == State::Unlocked).then_some(43_200),
            retry_after: None,
            key_known: state == State::Locked { key_known: true },
            key_cache: "none (turned off in config.toml)".into(),
            key_note: None,
            notices: Vec::new(),
        }
    }

    fn up(state: State, at: Instant) -> Agent {
        Agent::Up(Box::new(status(state)), at)
    }

    #[test]
    fn each_state_has_its_own_icon_and_title() {
        let now = Instant::now();
        let all = [
            Agent::Down("no agent".into()),
            up(State::NoVault, now),
            up(State::Locked { key_known: true }, now),
            up(State::Locked { key_known: false }, now),
            up(State::Unlocked, now),
        ];
        let titles: std::collections::HashSet<String> = all.iter().map(Agent::title).collect();
        assert_eq!(titles.len(), all.len());
        let icons: std::collections::HashSet<&str> =
            all[1..].iter().map(Agent::icon_name).collect();
        assert_eq!(
            icons.len(),
            4,
            "no vault shares the absent icon with no agent only"
        );
        assert_eq!(all[4].title(), "idp-vault: unlocked, 3 items");
    }

    #[test]
    fn the_countdown_counts_from_when_the_status_arrived() {
        let at = Instant::now();
        let a = up(State::Unlocked, at);
        assert_eq!(
            a.description(at),
            "Locks in 15 min if idle, at the latest in 12 h."
        );
        assert_eq!(
            a.description(at + Duration::from_secs(61)),
            "Locks in 13 min if idle, at the latest in 11 h 58 min."
        );
        assert_eq!(
            a.description(at + Duration::from_secs(2000)),
            "Locks in 0 s if idle, at the latest in 11 h 26 min."
        );
    }

    #[test]
    fn menu_entries_follow_the_state() {
        let now = Instant::now();
        assert!(up(State::Locked { key_known: true }, now).can_unlock());
        assert!(up(State::Locked { key_known: false }, now).key_needed());
        assert!(!up(State::Unlocked, now).can_unlock());
        assert!(up(State::Unlocked, now).is_unlocked());
        assert!(!Agent::Connecting.can_unlock());
        assert!(!up(State::NoVault, now).is_unlocked());
    }
}
