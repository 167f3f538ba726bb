// Placeholder; the simulator's entry point replaces it.
int main() { return 0; }
