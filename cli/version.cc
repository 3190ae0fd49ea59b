namespace credsim {
const char* Version() { return CREDSIM_VERSION; }
}  // namespace credsim
