// Placeholder until the app layer is wired; replaced by the real entry point.
int main() { return 0; }
