#![no_main]

// A message on the SSH agent socket; an ADD_IDENTITY body goes on to the
// key parser, as the agent does with it.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(idp_proto::ssh_wire::Request::Add(key)) = idp_proto::ssh_wire::parse(data) {
        idp_vault::fuzz::ssh_agent_key(key.0);
    }
    idp_vault::fuzz::ssh_agent_key(data);
});
